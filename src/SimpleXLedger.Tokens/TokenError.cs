namespace SimpleXLedger.Tokens;

/// <summary>
/// Every way a Privacy Pass value can be refused. Parsers, the issuer, the client and the verifier all report
/// one of these instead of throwing an exception that could carry the input.
/// </summary>
public enum TokenError
{
    None = 0,

    // ---- wire format -----------------------------------------------------------------------------
    /// <summary>The input ends before the structure does.</summary>
    Truncated,

    /// <summary>Bytes follow the end of the structure.</summary>
    TrailingBytes,

    /// <summary>A token type other than 0x0002 (Blind RSA 2048).</summary>
    UnsupportedTokenType,

    /// <summary>The issuer name is empty, too long, or not a server name.</summary>
    InvalidIssuerName,

    /// <summary>The redemption context is neither empty nor 32 bytes.</summary>
    InvalidRedemptionContext,

    /// <summary>The origin info is not a comma-separated list of server names.</summary>
    InvalidOriginInfo,

    /// <summary>Not strict base64url.</summary>
    InvalidBase64,

    /// <summary>The token key is not a DER SPKI with id-RSASSA-PSS (SHA-384, MGF1-SHA-384, salt 48) and an RSA-2048 key with e = 65537.</summary>
    InvalidKey,

    /// <summary>The HTTP authentication header value is malformed.</summary>
    InvalidHeader,

    /// <summary>The issuer directory JSON is malformed.</summary>
    InvalidDirectory,

    // ---- issuance --------------------------------------------------------------------------------
    /// <summary>The request's truncated key id is not the issuer key's.</summary>
    KeyIdMismatch,

    /// <summary>The blinded message is not below the modulus.</summary>
    BlindedMessageOutOfRange,

    /// <summary>The RSA private operation failed or did not check out.</summary>
    SigningFailure,

    /// <summary>The issuer's response does not unblind to a valid signature (wrong key or tampered response).</summary>
    InvalidResponse,

    // ---- verification ----------------------------------------------------------------------------
    /// <summary>The token was not made for this challenge.</summary>
    ChallengeDigestMismatch,

    /// <summary>The token's authenticator is not a valid signature.</summary>
    InvalidAuthenticator,
}

/// <summary>Fixed, material-free descriptions of <see cref="TokenError"/> values.</summary>
public static class TokenErrors
{
    public static string Describe(this TokenError error) => error switch
    {
        TokenError.None => "ok",
        TokenError.Truncated => "truncated input",
        TokenError.TrailingBytes => "trailing bytes after the structure",
        TokenError.UnsupportedTokenType => "unsupported token type",
        TokenError.InvalidIssuerName => "invalid issuer name",
        TokenError.InvalidRedemptionContext => "invalid redemption context",
        TokenError.InvalidOriginInfo => "invalid origin info",
        TokenError.InvalidBase64 => "not valid base64url",
        TokenError.InvalidKey => "not a token type 2 public key (RSASSA-PSS SPKI, RSA-2048)",
        TokenError.InvalidHeader => "malformed PrivateToken header",
        TokenError.InvalidDirectory => "malformed issuer directory",
        TokenError.KeyIdMismatch => "token key id mismatch",
        TokenError.BlindedMessageOutOfRange => "blinded message out of range",
        TokenError.SigningFailure => "signing failure",
        TokenError.InvalidResponse => "invalid token response",
        TokenError.ChallengeDigestMismatch => "challenge digest mismatch",
        TokenError.InvalidAuthenticator => "invalid authenticator",
        _ => "unknown error",
    };
}
