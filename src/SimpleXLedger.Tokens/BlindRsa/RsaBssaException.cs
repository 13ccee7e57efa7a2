using System.Security.Cryptography;

namespace SimpleXLedger.Tokens.BlindRsa;

/// <summary>
/// An RSABSSA operation failed. Carries only the <see cref="RsaBssaError"/> code and a fixed message,
/// never any input, key or intermediate value.
/// </summary>
public sealed class RsaBssaException : CryptographicException
{
    public RsaBssaException(RsaBssaError error)
        : base(Describe(error))
    {
        Error = error;
    }

    public RsaBssaException()
        : this(RsaBssaError.SigningFailure)
    {
    }

    public RsaBssaException(string message)
        : base(message)
    {
        Error = RsaBssaError.SigningFailure;
    }

    public RsaBssaException(string message, Exception innerException)
        : base(message, innerException)
    {
        Error = RsaBssaError.SigningFailure;
    }

    public RsaBssaError Error { get; }

    public static string Describe(RsaBssaError error) => error switch
    {
        RsaBssaError.None => "no error",
        RsaBssaError.MessageTooLong => "message too long",
        RsaBssaError.EncodingError => "encoding error",
        RsaBssaError.InvalidInput => "invalid input: message not co-prime with the modulus",
        RsaBssaError.BlindingError => "blinding error: the blind has no inverse",
        RsaBssaError.SigningFailure => "signing failure",
        RsaBssaError.MessageOutOfRange => "message representative out of range",
        RsaBssaError.UnexpectedInputSize => "unexpected input size",
        RsaBssaError.InvalidSignature => "invalid signature",
        RsaBssaError.InvalidKey => "invalid key for this operation",
        _ => "unknown error",
    };
}
