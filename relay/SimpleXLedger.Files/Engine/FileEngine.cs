using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using NSec.Cryptography;
using SimpleXLedger.Files.Client;
using SimpleXLedger.Files.Storage;
using SimpleXLedger.Net.Crash;
using SimpleXLedger.Protos.Files;
using SimpleXLedger.Relay.Client;

namespace SimpleXLedger.Files.Engine;

/// <summary>
/// The file relay's domain: verifies each transmission against the key of the id it names (bound to the
/// connection's session nonce, as the message relay binds its commands), then registers, uploads, serves,
/// acknowledges and deletes chunks. Bad input is a <see cref="FileRefusedException"/> and changes nothing; an
/// unknown id, a wrong key and a bad signature are one answer (AUTH) after the same work. Ids and keys are never
/// logged.
/// </summary>
internal sealed partial class FileEngine
{
    /// <summary>A key no one holds: unknown ids are verified against it, so they cost what a wrong signature costs.</summary>
    private static readonly PublicKey Dummy = RelayProtocol.NewKey().PublicKey;

    private readonly FilesOptions _options;
    private readonly MetadataStore _metadata;
    private readonly ChunkStore _chunks;
    private readonly FilesMeteringStore _meteringStore;
    private readonly ChunkPayments _payments;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly byte[]? _passwordHash;

    public FileEngine(FilesOptions options, MetadataStore metadata, ChunkStore chunks, FilesMeteringStore meteringStore, ChunkPayments payments, string meteringId, TimeProvider time, ILogger logger)
    {
        MeteringId = meteringId;
        _options = options;
        _metadata = metadata;
        _chunks = chunks;
        _meteringStore = meteringStore;
        _payments = payments;
        _time = time;
        _logger = logger;
        _passwordHash = options.UploadPassword is { } p ? SHA256.HashData(Encoding.UTF8.GetBytes(p)) : null;
    }

    public FilesOptions Options => _options;

    /// <summary>The metering plugin's id.</summary>
    public string MeteringId { get; }

    public ChunkPayments Payments => _payments;

    internal MetadataStore Metadata => _metadata;

    internal ChunkStore Chunks => _chunks;

    /// <summary>register, add recipients, delete, ack.</summary>
    public async Task<FileReply> ExecuteAsync(FileTransmission transmission, byte[] nonce, CancellationToken ct)
    {
        var command = Parse(transmission);
        var reply = command.BodyCase switch
        {
            FileCommand.BodyOneofCase.Register => await RegisterAsync(command, transmission, nonce, ct),
            FileCommand.BodyOneofCase.AddRecipients => await AddRecipientsAsync(command, transmission, nonce, ct),
            FileCommand.BodyOneofCase.Delete => await DeleteAsync(command, transmission, nonce, ct),
            FileCommand.BodyOneofCase.Ack => await AckAsync(command, transmission, nonce, ct),
            _ => throw new FileRefusedException(FileErrorCode.Syntax, "this call takes register, add-recipients, delete or ack"),
        };
        reply.CorrelationId = command.CorrelationId;
        return reply;
    }

    private async Task<FileReply> RegisterAsync(FileCommand command, FileTransmission transmission, byte[] nonce, CancellationToken ct)
    {
        var r = command.Register;
        if (!command.EntityId.IsEmpty)
        {
            throw new FileRefusedException(FileErrorCode.Syntax, "register names no id");
        }

        var senderKey = ImportKey(r.SenderKey.Span) ?? throw new FileRefusedException(FileErrorCode.Syntax, "the sender key must be a 32-byte Ed25519 public key");
        if (!FilesProtocol.Verify(senderKey, transmission.Command.Span, transmission.Signature.Span, nonce))
        {
            throw FileRefusedException.Auth();
        }

        if (_passwordHash is not null && !CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(r.Password)), _passwordHash))
        {
            throw FileRefusedException.Auth();
        }

        if (!FilesProtocol.IsChunkSize(r.Size))
        {
            throw new FileRefusedException(FileErrorCode.Syntax, "the size must be one of the chunk sizes (64 KiB, 256 KiB, 1 MiB, 4 MiB)");
        }

        if (r.Digest.Length is not (32 or 64))
        {
            throw new FileRefusedException(FileErrorCode.Syntax, "the digest must be SHA-256 (32 bytes) or SHA-512 (64 bytes)");
        }

        var recipientKeys = RecipientKeys(r.RecipientKeys, 0);
        var size = (int)r.Size;
        await CheckQuotaAsync(size, ct);
        var writes = await _payments.PayAsync(_payments.PriceOfChunk(size, recipientKeys.Count), r.PaymentTokens, ct);
        var chunk = new ChunkRecord(RandomNumberGenerator.GetBytes(16), FilesProtocol.NewId(), r.SenderKey.ToByteArray(), size, r.Digest.ToByteArray(),
            _time.GetUtcNow().Add(_options.ChunkTtl).ToUnixTimeSeconds(), Uploaded: false, Blocked: false);
        var recipientIds = recipientKeys.Select(_ => FilesProtocol.NewId()).ToArray();
        await _metadata.RunAsync(true, (c, t) =>
        {
            if (MetadataStore.ReservedBytes(c, t) + size > _options.QuotaBytes)
            {
                throw Quota();
            }

            if (!_meteringStore.TryStage(c, t!, writes))
            {
                throw new FileRefusedException(FileErrorCode.PaymentRefused, "a token was already spent");
            }

            MetadataStore.InsertChunk(c, t!, chunk);
            for (var i = 0; i < recipientIds.Length; i++)
            {
                MetadataStore.InsertRecipient(c, t!, chunk.StorageId, recipientIds[i], recipientKeys[i]);
            }

            return 0;
        }, ct);
        _meteringStore.Applied(writes);
        CrashPoint.Reach("files.register.after-commit");
        var ids = new ChunkIds { SenderId = ByteString.CopyFrom(chunk.SenderId) };
        ids.RecipientIds.AddRange(recipientIds.Select(ByteString.CopyFrom));
        return new FileReply { Ids = ids };
    }

    private async Task<FileReply> AddRecipientsAsync(FileCommand command, FileTransmission transmission, byte[] nonce, CancellationToken ct)
    {
        var chunk = await SenderChunkAsync(command, transmission, nonce, ct);
        var recipientKeys = RecipientKeys(command.AddRecipients.RecipientKeys, 0);
        var writes = await _payments.PayAsync(_payments.PriceOfRecipients(chunk.Size, recipientKeys.Count), command.AddRecipients.PaymentTokens, ct);
        var recipientIds = recipientKeys.Select(_ => FilesProtocol.NewId()).ToArray();
        await _metadata.RunAsync(true, (c, t) =>
        {
            if (MetadataStore.CountRecipients(c, t, chunk.StorageId) + recipientIds.Length > _options.MaxRecipients)
            {
                throw new FileRefusedException(FileErrorCode.Syntax, $"a chunk has at most {_options.MaxRecipients} recipient ids");
            }

            if (!_meteringStore.TryStage(c, t!, writes))
            {
                throw new FileRefusedException(FileErrorCode.PaymentRefused, "a token was already spent");
            }

            for (var i = 0; i < recipientIds.Length; i++)
            {
                MetadataStore.InsertRecipient(c, t!, chunk.StorageId, recipientIds[i], recipientKeys[i]);
            }

            return 0;
        }, ct);
        _meteringStore.Applied(writes);
        var reply = new RecipientIds();
        reply.RecipientIds_.AddRange(recipientIds.Select(ByteString.CopyFrom));
        return new FileReply { RecipientIds = reply };
    }

    private async Task<FileReply> DeleteAsync(FileCommand command, FileTransmission transmission, byte[] nonce, CancellationToken ct)
    {
        var chunk = await SenderChunkAsync(command, transmission, nonce, ct);
        // The record first (then nothing serves it), the body after; a body left by a crash in between goes at start.
        await _metadata.DeleteChunkAsync(chunk.StorageId, ct);
        _chunks.Delete(chunk.StorageId);
        return new FileReply { Ok = new FileOk() };
    }

    private async Task<FileReply> AckAsync(FileCommand command, FileTransmission transmission, byte[] nonce, CancellationToken ct)
    {
        var recipient = await RecipientAsync(command, transmission, nonce, ct);
        await _metadata.DeleteRecipientAsync(recipient.RecipientId, ct);
        return new FileReply { Ok = new FileOk() };
    }

    private async Task CheckQuotaAsync(int size, CancellationToken ct)
    {
        var reserved = await _metadata.RunAsync(false, MetadataStore.ReservedBytes, ct);
        if (reserved + size > _options.QuotaBytes)
        {
            throw Quota();
        }
    }

    private static FileRefusedException Quota() => new(FileErrorCode.Quota, "the relay's storage quota is full; try another relay");

    internal static FileCommand Parse(FileTransmission transmission)
    {
        FileCommand command;
        try
        {
            command = FileCommand.Parser.ParseFrom(transmission.Command);
        }
        catch (InvalidProtocolBufferException)
        {
            throw new FileRefusedException(FileErrorCode.Syntax, "the command does not parse");
        }

        if (command.CorrelationId.Length > FilesProtocol.MaxCorrelationIdLength)
        {
            throw new FileRefusedException(FileErrorCode.Syntax, "the correlation id is longer than 24 bytes");
        }

        if (command.BodyCase == FileCommand.BodyOneofCase.None)
        {
            throw new FileRefusedException(FileErrorCode.Syntax, "the command has no body");
        }

        return command;
    }

    private List<byte[]> RecipientKeys(IReadOnlyList<ByteString> keys, int existing)
    {
        if (keys.Count == 0 || keys.Count + existing > _options.MaxRecipients)
        {
            throw new FileRefusedException(FileErrorCode.Syntax, $"give between 1 and {_options.MaxRecipients} recipient keys");
        }

        var list = new List<byte[]>(keys.Count);
        foreach (var key in keys)
        {
            if (ImportKey(key.Span) is null)
            {
                throw new FileRefusedException(FileErrorCode.Syntax, "a recipient key must be a 32-byte Ed25519 public key");
            }

            list.Add(key.ToByteArray());
        }

        return list;
    }

    private async Task<ChunkRecord> SenderChunkAsync(FileCommand command, FileTransmission transmission, byte[] nonce, CancellationToken ct)
    {
        var chunk = command.EntityId.Length == FilesProtocol.IdLength ? await _metadata.FindBySenderAsync(command.EntityId.ToByteArray(), ct) : null;
        var key = chunk is null ? Dummy : ImportKey(chunk.SenderKey) ?? Dummy;
        if (!FilesProtocol.Verify(key, transmission.Command.Span, transmission.Signature.Span, nonce) || chunk is null)
        {
            throw FileRefusedException.Auth();
        }

        return chunk;
    }

    private async Task<RecipientRecord> RecipientAsync(FileCommand command, FileTransmission transmission, byte[] nonce, CancellationToken ct)
    {
        var recipient = command.EntityId.Length == FilesProtocol.IdLength ? await _metadata.FindByRecipientAsync(command.EntityId.ToByteArray(), ct) : null;
        var key = recipient is null ? Dummy : ImportKey(recipient.RecipientKey) ?? Dummy;
        if (!FilesProtocol.Verify(key, transmission.Command.Span, transmission.Signature.Span, nonce) || recipient is null)
        {
            throw FileRefusedException.Auth();
        }

        return recipient;
    }

    private static PublicKey? ImportKey(ReadOnlySpan<byte> raw) =>
        raw.Length == RelayProtocol.PublicKeyLength && PublicKey.TryImport(RelayProtocol.Ed25519, raw, KeyBlobFormat.RawPublicKey, out var key) ? key : null;
}
