using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using NSec.Cryptography;
using SimpleXLedger.Files.Client;
using SimpleXLedger.Files.Hosting;
using SimpleXLedger.Files.Tests.Support;
using SimpleXLedger.Protos.Files;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Files.Tests;

/// <summary>The chunk commands over real gRPC with TLS against an in-process file relay (unmetered).</summary>
public sealed class ChunkProtocolTests : IAsyncLifetime
{
    private const int Size = 64 * 1024;
    private readonly TempDirectory _dir = new();
    private FilesServer _relay = null!;
    private FileRelayClient _client = null!;

    public async Task InitializeAsync()
    {
        _relay = await FileRelays.StartAsync(FileRelays.Options(_dir.File("relay")) with { QuotaBytes = 8L * 1024 * 1024 });
        _client = await FileRelayClient.ConnectAsync(_relay.Address);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _relay.DisposeAsync();
        _dir.Dispose();
    }

    private sealed record Registered(Key Sender, Key[] Recipients, ChunkIds Ids, byte[] Bytes);

    private async Task<Registered> RegisterAsync(int recipients = 1, int size = Size, bool upload = true)
    {
        var bytes = RandomNumberGenerator.GetBytes(size);
        var sender = RelayProtocol.NewKey();
        var keys = Enumerable.Range(0, recipients).Select(_ => RelayProtocol.NewKey()).ToArray();
        var ids = await _client.RegisterAsync(sender, size, SHA256.HashData(bytes), keys.Select(RelayProtocol.PublicKeyBytes).ToArray());
        if (upload)
        {
            await _client.UploadAsync(ids.SenderId.Memory, sender, bytes);
        }

        return new Registered(sender, keys, ids, bytes);
    }

    private int StoredBodies() => Directory.EnumerateFiles(Path.Combine(_dir.File("relay"), "chunks")).Count();

    private int TemporaryFiles() => Directory.EnumerateFiles(Path.Combine(_dir.File("relay"), "chunks", "tmp")).Count();

    [Fact]
    public async Task A_chunk_goes_up_and_comes_down_to_each_recipient_unchanged()
    {
        var chunk = await RegisterAsync(recipients: 2);
        for (var r = 0; r < 2; r++)
        {
            var got = await _client.DownloadAsync(chunk.Ids.RecipientIds[r].Memory, chunk.Recipients[r]);
            Assert.Equal(chunk.Bytes, got);
        }

        Assert.Equal(1, StoredBodies());
    }

    [Fact]
    public async Task Sender_and_recipient_ids_are_random_different_and_unrelated()
    {
        var a = await RegisterAsync(recipients: 3, upload: false);
        var b = await RegisterAsync(recipients: 3, upload: false);
        var all = new[] { a.Ids.SenderId, b.Ids.SenderId }.Concat(a.Ids.RecipientIds).Concat(b.Ids.RecipientIds).Select(i => i.ToByteArray()).ToList();
        Assert.All(all, id => Assert.Equal(FilesProtocol.IdLength, id.Length));
        Assert.Equal(all.Count, all.Select(Convert.ToHexString).Distinct().Count());
        // Unrelated: no id shares a prefix or suffix with another of the same chunk (ids are 24 random bytes each).
        foreach (var chunk in new[] { a, b })
        {
            var ids = chunk.Ids.RecipientIds.Select(i => i.ToByteArray()).Prepend(chunk.Ids.SenderId.ToByteArray()).ToList();
            for (var i = 0; i < ids.Count; i++)
            {
                for (var j = i + 1; j < ids.Count; j++)
                {
                    Assert.False(ids[i].AsSpan(0, 8).SequenceEqual(ids[j].AsSpan(0, 8)));
                    Assert.False(ids[i].AsSpan(16).SequenceEqual(ids[j].AsSpan(16)));
                }
            }
        }
    }

    [Fact]
    public async Task Downloaded_bytes_share_no_ciphertext_with_the_uploaded_bytes()
    {
        var chunk = await RegisterAsync();
        using var dh = DownloadCipher.NewRecipientKey();
        var get = _client.Sign(new FileCommand { Get = new GetChunk { DhKey = ByteString.CopyFrom(DownloadCipher.PublicBytes(dh)) } }, chunk.Ids.RecipientIds[0].Memory, chunk.Recipients[0]);
        using var call = _client.Grpc.Download(get);
        var wire = new List<byte>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            if (call.ResponseStream.Current.PartCase == DownloadPart.PartOneofCase.Segment)
            {
                wire.AddRange(call.ResponseStream.Current.Segment.ToByteArray());
            }
        }

        Assert.True(wire.Count >= Size);
        // Every 16-byte window of what was uploaded, against every 16-byte window of what came down.
        var uploaded = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i + 16 <= chunk.Bytes.Length; i++)
        {
            uploaded.Add(Convert.ToHexString(chunk.Bytes, i, 16));
        }

        var downloaded = wire.ToArray();
        for (var i = 0; i + 16 <= downloaded.Length; i++)
        {
            Assert.DoesNotContain(Convert.ToHexString(downloaded, i, 16), uploaded);
        }

        // And the layer comes off for the recipient it was made for.
        Assert.Equal(chunk.Bytes, await _client.DownloadAsync(chunk.Ids.RecipientIds[0].Memory, chunk.Recipients[0]));
    }

    [Fact]
    public async Task An_upload_with_the_wrong_digest_is_refused_and_nothing_is_stored()
    {
        var chunk = await RegisterAsync(upload: false);
        var other = RandomNumberGenerator.GetBytes(Size);
        var e = await Assert.ThrowsAsync<FileRelayException>(() => _client.UploadAsync(chunk.Ids.SenderId.Memory, chunk.Sender, other));
        Assert.Equal(FileErrorCode.Digest, e.Code);
        Assert.Equal(0, StoredBodies());
        Assert.Equal(0, TemporaryFiles());
        var get = await Assert.ThrowsAsync<FileRelayException>(() => _client.DownloadAsync(chunk.Ids.RecipientIds[0].Memory, chunk.Recipients[0]));
        Assert.Equal(FileErrorCode.NoFile, get.Code);

        // The right bytes are still accepted afterwards.
        await _client.UploadAsync(chunk.Ids.SenderId.Memory, chunk.Sender, chunk.Bytes);
        Assert.Equal(chunk.Bytes, await _client.DownloadAsync(chunk.Ids.RecipientIds[0].Memory, chunk.Recipients[0]));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    [InlineData(-Size / 2)]
    public async Task An_upload_of_the_wrong_size_is_refused_and_nothing_is_stored(int delta)
    {
        var chunk = await RegisterAsync(upload: false);
        var wrong = RandomNumberGenerator.GetBytes(Size + delta);
        var e = await Assert.ThrowsAsync<FileRelayException>(() => _client.UploadAsync(chunk.Ids.SenderId.Memory, chunk.Sender, wrong));
        Assert.Equal(FileErrorCode.Size, e.Code);
        Assert.Equal(0, StoredBodies());
        Assert.Equal(0, TemporaryFiles());
    }

    [Fact]
    public async Task Registering_a_size_that_is_not_a_chunk_size_or_a_bad_digest_is_a_syntax_error()
    {
        using var sender = RelayProtocol.NewKey();
        var keys = new[] { RelayProtocol.PublicKeyBytes(RelayProtocol.NewKey()) };
        var size = await Assert.ThrowsAsync<FileRelayException>(() => _client.RegisterAsync(sender, 100_000, new byte[32], keys));
        Assert.Equal(FileErrorCode.Syntax, size.Code);
        var digest = await Assert.ThrowsAsync<FileRelayException>(() => _client.RegisterAsync(sender, Size, new byte[20], keys));
        Assert.Equal(FileErrorCode.Syntax, digest.Code);
        var none = await Assert.ThrowsAsync<FileRelayException>(() => _client.RegisterAsync(sender, Size, new byte[32], []));
        Assert.Equal(FileErrorCode.Syntax, none.Code);
        Assert.Equal((0L, 0L, 0L), await _relay.CountsAsync());
    }

    [Fact]
    public async Task A_command_signed_by_the_wrong_key_or_replayed_on_another_connection_is_refused()
    {
        var chunk = await RegisterAsync(recipients: 1, upload: false);
        using var stranger = RelayProtocol.NewKey();

        // Upload and delete signed by a stranger, or by the recipient's key: AUTH, nothing stored or deleted.
        var put = await Assert.ThrowsAsync<FileRelayException>(() => _client.UploadAsync(chunk.Ids.SenderId.Memory, stranger, chunk.Bytes));
        Assert.Equal(FileErrorCode.Auth, put.Code);
        var delete = await Assert.ThrowsAsync<FileRelayException>(() => _client.DeleteAsync(chunk.Ids.SenderId.Memory, chunk.Recipients[0]));
        Assert.Equal(FileErrorCode.Auth, delete.Code);
        Assert.Equal(0, StoredBodies());

        await _client.UploadAsync(chunk.Ids.SenderId.Memory, chunk.Sender, chunk.Bytes);

        // A recipient command signed by the sender's key; an unknown id.
        var ack = await Assert.ThrowsAsync<FileRelayException>(() => _client.AckAsync(chunk.Ids.RecipientIds[0].Memory, chunk.Sender));
        Assert.Equal(FileErrorCode.Auth, ack.Code);
        var unknown = await Assert.ThrowsAsync<FileRelayException>(() => _client.AckAsync(FilesProtocol.NewId(), chunk.Recipients[0]));
        Assert.Equal(FileErrorCode.Auth, unknown.Code);

        // A valid delete captured on this connection fails on another one (its session nonce differs).
        var captured = _client.Sign(new FileCommand { Delete = new DeleteChunk() }, chunk.Ids.SenderId.Memory, chunk.Sender);
        using var other = await FileRelayClient.ConnectAsync(_relay.Address);
        var replay = await Assert.ThrowsAsync<RpcException>(async () => await other.Grpc.ExecuteAsync(captured));
        Assert.Equal("Auth", replay.Trailers.GetValue(FileRelayClient.ErrorTrailer));
        Assert.Equal((1L, 1L, (long)Size), await _relay.CountsAsync());
    }

    [Fact]
    public async Task Ack_deletes_only_that_recipient_id()
    {
        var chunk = await RegisterAsync(recipients: 2);
        await _client.AckAsync(chunk.Ids.RecipientIds[0].Memory, chunk.Recipients[0]);
        var gone = await Assert.ThrowsAsync<FileRelayException>(() => _client.DownloadAsync(chunk.Ids.RecipientIds[0].Memory, chunk.Recipients[0]));
        Assert.Equal(FileErrorCode.Auth, gone.Code);
        Assert.Equal(chunk.Bytes, await _client.DownloadAsync(chunk.Ids.RecipientIds[1].Memory, chunk.Recipients[1]));
        Assert.Equal((1L, 1L, (long)Size), await _relay.CountsAsync());
    }

    [Fact]
    public async Task Delete_removes_the_chunk_and_every_recipient_id_with_it()
    {
        var chunk = await RegisterAsync(recipients: 2);
        await _client.DeleteAsync(chunk.Ids.SenderId.Memory, chunk.Sender);
        for (var r = 0; r < 2; r++)
        {
            var e = await Assert.ThrowsAsync<FileRelayException>(() => _client.DownloadAsync(chunk.Ids.RecipientIds[r].Memory, chunk.Recipients[r]));
            Assert.Equal(FileErrorCode.Auth, e.Code);
        }

        Assert.Equal(0, StoredBodies());
        Assert.Equal((0L, 0L, 0L), await _relay.CountsAsync());
    }

    [Fact]
    public async Task Added_recipients_get_ids_of_their_own_that_download()
    {
        var chunk = await RegisterAsync(recipients: 1);
        using var late = RelayProtocol.NewKey();
        var ids = await _client.AddRecipientsAsync(chunk.Ids.SenderId.Memory, chunk.Sender, [RelayProtocol.PublicKeyBytes(late)]);
        Assert.Single(ids);
        Assert.NotEqual(chunk.Ids.RecipientIds[0].ToByteArray(), ids[0]);
        Assert.Equal(chunk.Bytes, await _client.DownloadAsync(ids[0], late));
    }

    [Fact]
    public async Task A_blocked_chunk_is_unavailable_to_every_recipient_and_to_its_sender()
    {
        var chunk = await RegisterAsync(recipients: 2);
        Assert.True(await _relay.BlockAsync(chunk.Ids.RecipientIds[1].ToByteArray()));
        for (var r = 0; r < 2; r++)
        {
            var e = await Assert.ThrowsAsync<FileRelayException>(() => _client.DownloadAsync(chunk.Ids.RecipientIds[r].Memory, chunk.Recipients[r]));
            Assert.Equal(FileErrorCode.NoFile, e.Code);
        }

        var again = await Assert.ThrowsAsync<FileRelayException>(() => _client.UploadAsync(chunk.Ids.SenderId.Memory, chunk.Sender, chunk.Bytes));
        Assert.Equal(FileErrorCode.NoFile, again.Code);
        Assert.False(await _relay.BlockAsync(FilesProtocol.NewId()));
    }

    [Fact]
    public async Task Beyond_the_quota_a_new_chunk_is_refused_and_nothing_is_recorded()
    {
        // The quota is 8 MiB: two 4 MiB chunks fit, a third chunk of any size does not.
        await RegisterAsync(size: 4 * 1024 * 1024, upload: false);
        await RegisterAsync(size: 4 * 1024 * 1024, upload: false);
        var e = await Assert.ThrowsAsync<FileRelayException>(() => RegisterAsync(size: Size, upload: false));
        Assert.Equal(FileErrorCode.Quota, e.Code);
        Assert.Equal(2L, (await _relay.CountsAsync()).Chunks);
    }

    [Fact]
    public async Task A_command_before_hello_is_refused_with_no_session()
    {
        using var sender = RelayProtocol.NewKey();
        var command = new FileCommand { Register = new RegisterChunk { SenderKey = ByteString.CopyFrom(RelayProtocol.PublicKeyBytes(sender)), Size = Size, Digest = ByteString.CopyFrom(new byte[32]) } };
        var t = FilesProtocol.Sign(command, sender, new byte[32]);
        // A raw call on a fresh HTTP/2 connection that never said hello.
        var handler = new SocketsHttpHandler { SslOptions = new SimpleXLedger.Net.Tls.PinnedCertificateValidator(_relay.Address.Fingerprint).ClientOptions(_relay.Address.Host) };
        using var raw = Grpc.Net.Client.GrpcChannel.ForAddress(_relay.Address.HttpsUri, new Grpc.Net.Client.GrpcChannelOptions { HttpHandler = handler });
        var e = await Assert.ThrowsAsync<RpcException>(async () => await new Protos.Files.Files.FilesClient(raw).ExecuteAsync(t));
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Equal("NoSession", e.Trailers.GetValue(FileRelayClient.ErrorTrailer));
    }
}
