namespace SimpleXLedger.Tokens.BlindRsa;

/// <summary>The errors RFC 9474 names for Blind, BlindSign and Finalize (section 4), plus key-shape errors.</summary>
public enum RsaBssaError
{
    None = 0,

    /// <summary>EMSA-PSS-ENCODE: the message is too long to hash (never for practical inputs).</summary>
    MessageTooLong,

    /// <summary>EMSA-PSS-ENCODE: the modulus is too short for the hash and salt.</summary>
    EncodingError,

    /// <summary>Blind: the encoded message is not co-prime with n (the public key is probably invalid).</summary>
    InvalidInput,

    /// <summary>Blind: the blind r has no inverse mod n; retry.</summary>
    BlindingError,

    /// <summary>BlindSign: RSAVP1(RSASP1(m)) ≠ m (a fault in the private operation) or the operation failed.</summary>
    SigningFailure,

    /// <summary>BlindSign: the blinded message is not an integer in [0, n-1].</summary>
    MessageOutOfRange,

    /// <summary>A byte string input does not have the expected length (modulus_len).</summary>
    UnexpectedInputSize,

    /// <summary>Finalize: the unblinded signature does not verify.</summary>
    InvalidSignature,

    /// <summary>The key is not usable for this variant (size, exponent, or a mismatched blinding).</summary>
    InvalidKey,
}
