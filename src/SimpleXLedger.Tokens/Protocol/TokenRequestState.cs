using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using SimpleXLedger.Tokens.BlindRsa;

namespace SimpleXLedger.Tokens;

/// <summary>
/// What a client keeps between sending a <see cref="TokenRequest"/> and finalizing the issuer's response:
/// the nonce, challenge digest, issuer key, and the secret blinding inverse. Dispose it once finalized.
/// <see cref="ExportSecret"/>/<see cref="TryImportSecret"/> let a wallet finalize after a restart (the export is
/// secret: it links the request the issuer saw to the token; store it encrypted, delete it after use).
/// </summary>
public sealed class TokenRequestState : IDisposable
{
    private const byte ExportVersion = 1;
    private static readonly int ExportLength = 1 + Token.NonceLength + Token.ChallengeDigestLength + TokenRequest.Length + TokenTypes.BlindRsa2048Nk;

    private readonly byte[] _nonce;
    private readonly byte[] _challengeDigest;
    private readonly RsaBssaBlinding _blinding;

    internal TokenRequestState(TokenPublicKey issuerKey, byte[] nonce, byte[] challengeDigest, TokenRequest request, RsaBssaBlinding blinding)
    {
        IssuerKey = issuerKey;
        _nonce = nonce;
        _challengeDigest = challengeDigest;
        Request = request;
        _blinding = blinding;
    }

    /// <summary>The request to send to the issuer.</summary>
    public TokenRequest Request { get; }

    public TokenPublicKey IssuerKey { get; }

    public ReadOnlySpan<byte> Nonce => _nonce;

    public ReadOnlySpan<byte> ChallengeDigest => _challengeDigest;

    internal RsaBssaBlinding Blinding => _blinding;

    /// <summary>version(1) ‖ nonce(32) ‖ challenge_digest(32) ‖ TokenRequest(259) ‖ inverse(256). Secret.</summary>
    public byte[] ExportSecret()
    {
        var data = new byte[ExportLength];
        var w = data.AsSpan();
        w[0] = ExportVersion;
        _nonce.CopyTo(w[1..]);
        _challengeDigest.CopyTo(w[(1 + Token.NonceLength)..]);
        Request.Encoded.CopyTo(w[(1 + Token.NonceLength + Token.ChallengeDigestLength)..]);
        _blinding.Inverse.CopyTo(w[(1 + Token.NonceLength + Token.ChallengeDigestLength + TokenRequest.Length)..]);
        return data;
    }

    /// <summary>Restores a state exported by <see cref="ExportSecret"/> for the same issuer key.</summary>
    public static bool TryImportSecret(TokenPublicKey issuerKey, ReadOnlySpan<byte> exported, [NotNullWhen(true)] out TokenRequestState? state, out TokenError error)
    {
        ArgumentNullException.ThrowIfNull(issuerKey);
        state = null;
        if (exported.Length != ExportLength)
        {
            error = exported.Length < ExportLength ? TokenError.Truncated : TokenError.TrailingBytes;
            return false;
        }

        if (exported[0] != ExportVersion)
        {
            // An export format this version does not know.
            error = TokenError.UnsupportedTokenType;
            return false;
        }

        var r = exported[1..];
        var nonce = r[..Token.NonceLength].ToArray();
        r = r[Token.NonceLength..];
        var digest = r[..Token.ChallengeDigestLength].ToArray();
        r = r[Token.ChallengeDigestLength..];
        if (!TokenRequest.TryParse(r[..TokenRequest.Length], out var request, out error))
        {
            return false;
        }

        if (request.TruncatedTokenKeyId != issuerKey.TruncatedKeyId)
        {
            error = TokenError.KeyIdMismatch;
            return false;
        }

        var blinding = RsaBssaBlinding.FromParts(request.BlindedMessage, r[TokenRequest.Length..]);
        state = new TokenRequestState(issuerKey, nonce, digest, request, blinding);
        error = TokenError.None;
        return true;
    }

    public void Dispose()
    {
        _blinding.Dispose();
        CryptographicOperations.ZeroMemory(_nonce);
    }
}
