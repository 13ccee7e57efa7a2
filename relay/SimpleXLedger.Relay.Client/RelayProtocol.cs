using System.Buffers.Text;
using System.Buffers;
using System.Security.Cryptography;
using Google.Protobuf;
using NSec.Cryptography;
using SimpleXLedger.Protos.Relay;

namespace SimpleXLedger.Relay.Client;

/// <summary>
/// The relay's wire rules shared by client and relay: ids, the signed bytes of a transmission, and
/// the <c>PrivateToken</c> authorization header.
/// </summary>
public static class RelayProtocol
{
    public const uint Version = 1;
    public const int QueueIdLength = 24;
    public const int MessageIdLength = 16;
    public const int SessionNonceLength = 32;
    public const int MaxCorrelationIdLength = 24;
    public const int PublicKeyLength = 32;
    public const int SignatureLength = 64;

    /// <summary>Domain separation: these signatures can never be mistaken for another protocol's.</summary>
    private static ReadOnlySpan<byte> SignatureContext => "sxl-relay/1\0"u8;

    public static SignatureAlgorithm Ed25519 { get; } = SignatureAlgorithm.Ed25519;

    /// <summary>Signs a command for the connection whose session nonce is <paramref name="sessionNonce"/>.</summary>
    public static Transmission Sign(Command command, Key? key, ReadOnlySpan<byte> sessionNonce)
    {
        ArgumentNullException.ThrowIfNull(command);
        var bytes = command.ToByteArray();
        if (key is null)
        {
            return new Transmission { Command = ByteString.CopyFrom(bytes) };
        }

        var signature = SignBytes(bytes, key, sessionNonce);
        return new Transmission { Command = UnsafeByteOperations.UnsafeWrap(bytes), Signature = UnsafeByteOperations.UnsafeWrap(signature) };
    }

    public static byte[] SignBytes(ReadOnlySpan<byte> commandBytes, Key key, ReadOnlySpan<byte> sessionNonce) =>
        SignBytes(SignatureContext, commandBytes, key, sessionNonce);

    /// <summary>
    /// Signs <c>context ‖ nonce ‖ command bytes</c>: the binding every service with per-connection sessions uses
    /// (the message relay with <c>"sxl-relay/1\0"</c>, the file relay with its own context).
    /// </summary>
    public static byte[] SignBytes(ReadOnlySpan<byte> context, ReadOnlySpan<byte> commandBytes, Key key, ReadOnlySpan<byte> sessionNonce)
    {
        ArgumentNullException.ThrowIfNull(key);
        var length = context.Length + sessionNonce.Length + commandBytes.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var signed = Compose(buffer, context, commandBytes, sessionNonce);
            return Ed25519.Sign(key, signed);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Verifies a transmission's signature; false for a missing or malformed signature.</summary>
    public static bool Verify(PublicKey key, ReadOnlySpan<byte> commandBytes, ReadOnlySpan<byte> signature, ReadOnlySpan<byte> sessionNonce) =>
        Verify(SignatureContext, key, commandBytes, signature, sessionNonce);

    /// <summary>Verifies a signature made by <see cref="SignBytes(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Key, ReadOnlySpan{byte})"/> under <paramref name="context"/>.</summary>
    public static bool Verify(ReadOnlySpan<byte> context, PublicKey key, ReadOnlySpan<byte> commandBytes, ReadOnlySpan<byte> signature, ReadOnlySpan<byte> sessionNonce)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (signature.Length != SignatureLength || sessionNonce.Length != SessionNonceLength)
        {
            return false;
        }

        var length = context.Length + sessionNonce.Length + commandBytes.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            return Ed25519.Verify(key, Compose(buffer, context, commandBytes, sessionNonce), signature);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static ReadOnlySpan<byte> Compose(byte[] buffer, ReadOnlySpan<byte> context, ReadOnlySpan<byte> commandBytes, ReadOnlySpan<byte> sessionNonce)
    {
        var span = buffer.AsSpan();
        context.CopyTo(span);
        sessionNonce.CopyTo(span[context.Length..]);
        commandBytes.CopyTo(span[(context.Length + sessionNonce.Length)..]);
        return span[..(context.Length + sessionNonce.Length + commandBytes.Length)];
    }

    /// <summary>A fresh Ed25519 key that can be saved (queue files keep the recipient's key).</summary>
    public static Key NewKey() => Key.Create(Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });

    public static Key ImportKey(ReadOnlySpan<byte> seed) =>
        Key.Import(Ed25519, seed, KeyBlobFormat.RawPrivateKey, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });

    public static byte[] ExportSeed(Key key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Export(KeyBlobFormat.RawPrivateKey);
    }

    public static byte[] PublicKeyBytes(Key key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    public static byte[] NewCorrelationId() => RandomNumberGenerator.GetBytes(MaxCorrelationIdLength);

    /// <summary>The value of an <c>authorization</c> header carrying a token (RFC 9577).</summary>
    public static string AuthorizationHeader(ReadOnlySpan<byte> token) => $"PrivateToken token=\"{Base64Url.EncodeToString(token)}\"";

    /// <summary>Reads the token of a <c>PrivateToken token="…"</c> authorization value; false if it is not one.</summary>
    public static bool TryParseAuthorization(string? value, out byte[] token)
    {
        token = [];
        if (value is null)
        {
            return false;
        }

        const string scheme = "PrivateToken";
        var text = value.Trim();
        if (!text.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        foreach (var part in text[scheme.Length..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !part[..eq].Trim().Equals("token", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var quoted = part[(eq + 1)..].Trim().Trim('"');
            try
            {
                token = Base64Url.DecodeFromChars(quoted);
                return token.Length > 0;
            }
            catch (FormatException)
            {
                return false;
            }
        }

        return false;
    }
}
