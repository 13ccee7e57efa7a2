namespace SimpleXLedger.Tokens;

/// <summary>Privacy Pass token types (RFC 9577 registry) this library knows.</summary>
public static class TokenTypes
{
    /// <summary>0x0002: Blind RSA (2048-bit), RSABSSA-SHA384-PSS-Deterministic (RFC 9578 §6). The only type SimpleXLedger uses.</summary>
    public const ushort BlindRsa2048 = 0x0002;

    /// <summary>Nk for type 2: the authenticator and blinded message length (2048-bit modulus).</summary>
    public const int BlindRsa2048Nk = 256;

    /// <summary>Nid for type 2: SHA-256 of the SPKI.</summary>
    public const int BlindRsa2048Nid = 32;
}
