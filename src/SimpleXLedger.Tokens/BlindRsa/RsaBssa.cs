using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using SimpleXLedger.Tokens.Interop;

namespace SimpleXLedger.Tokens.BlindRsa;

/// <summary>
/// RSABSSA (RFC 9474): RSA blind signatures with SHA-384, in its four named variants. One instance per
/// variant, NSec-style: <c>RsaBssa.Sha384PssDeterministic.Blind(...)</c>. Thread-safe.
/// </summary>
public sealed class RsaBssa
{
    /// <summary>Length of the random prefix PrepareRandomize adds.</summary>
    public const int MessagePrefixLength = 32;

    private RsaBssa(string name, int saltLength, bool randomizesMessage)
    {
        Name = name;
        SaltLength = saltLength;
        RandomizesMessage = randomizesMessage;
    }

    /// <summary>RSABSSA-SHA384-PSS-Randomized: 48-byte salt, random message prefix.</summary>
    public static RsaBssa Sha384PssRandomized { get; } = new("RSABSSA-SHA384-PSS-Randomized", 48, true);

    /// <summary>RSABSSA-SHA384-PSSZERO-Randomized: empty salt, random message prefix.</summary>
    public static RsaBssa Sha384PssZeroRandomized { get; } = new("RSABSSA-SHA384-PSSZERO-Randomized", 0, true);

    /// <summary>RSABSSA-SHA384-PSS-Deterministic: 48-byte salt, identity preparation (Privacy Pass token type 2).</summary>
    public static RsaBssa Sha384PssDeterministic { get; } = new("RSABSSA-SHA384-PSS-Deterministic", 48, false);

    /// <summary>RSABSSA-SHA384-PSSZERO-Deterministic: empty salt, identity preparation.</summary>
    public static RsaBssa Sha384PssZeroDeterministic { get; } = new("RSABSSA-SHA384-PSSZERO-Deterministic", 0, false);

    /// <summary>The RFC 9474 variant name.</summary>
    public string Name { get; }

    /// <summary>PSS salt length in bytes (48 or 0).</summary>
    public int SaltLength { get; }

    /// <summary>True for the Randomized variants (PrepareRandomize), false for Deterministic (PrepareIdentity).</summary>
    public bool RandomizesMessage { get; }

    public override string ToString() => Name;

    // ---- Prepare ------------------------------------------------------------------------------------

    /// <summary>Prepare: a fresh 32-byte prefix plus the message (Randomized), or the message itself (Deterministic).</summary>
    public byte[] Prepare(ReadOnlySpan<byte> message)
    {
        if (!RandomizesMessage)
        {
            return message.ToArray();
        }

        Span<byte> prefix = stackalloc byte[MessagePrefixLength];
        RandomNumberGenerator.Fill(prefix);
        return Prepare(message, prefix);
    }

    /// <summary>Test seam: Prepare with a given prefix.</summary>
    internal byte[] Prepare(ReadOnlySpan<byte> message, ReadOnlySpan<byte> prefix)
    {
        if (!RandomizesMessage)
        {
            return message.ToArray();
        }

        if (prefix.Length != MessagePrefixLength)
        {
            throw new ArgumentException("The prefix is 32 bytes.", nameof(prefix));
        }

        var prepared = new byte[MessagePrefixLength + message.Length];
        prefix.CopyTo(prepared);
        message.CopyTo(prepared.AsSpan(MessagePrefixLength));
        return prepared;
    }

    /// <summary>The application message inside a prepared message (strips the Randomized prefix).</summary>
    public ReadOnlySpan<byte> ApplicationMessage(ReadOnlySpan<byte> preparedMessage) =>
        RandomizesMessage ? preparedMessage[MessagePrefixLength..] : preparedMessage;

    // ---- Blind --------------------------------------------------------------------------------------

    /// <summary>Blind: EMSA-PSS-encodes the prepared message and blinds it with a fresh r. Throws <see cref="RsaBssaException"/>.</summary>
    public RsaBssaBlinding Blind(RsaBssaPublicKey publicKey, ReadOnlySpan<byte> preparedMessage)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        Span<byte> salt = stackalloc byte[SaltLength];
        RandomNumberGenerator.Fill(salt);

        // A blinding error means r shared a factor with n: retry as RFC 9474 §4.2 says (never expected twice).
        for (var attempt = 0; ; attempt++)
        {
            var error = TryBlind(publicKey, preparedMessage, salt, blind: default, out var blinding);
            if (error == RsaBssaError.None)
            {
                return blinding!;
            }

            if (error != RsaBssaError.BlindingError || attempt >= 3)
            {
                throw new RsaBssaException(error);
            }
        }
    }

    /// <summary>Test seam: Blind with a given salt and blind r (an empty r draws one at random).</summary>
    internal RsaBssaError TryBlind(RsaBssaPublicKey publicKey, ReadOnlySpan<byte> preparedMessage, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> blind, out RsaBssaBlinding? blinding)
    {
        blinding = null;
        if (salt.Length != SaltLength)
        {
            throw new ArgumentException("Wrong salt length for this variant.", nameof(salt));
        }

        var k = publicKey.ModulusLength;
        var emBits = publicKey.ModulusBits - 1;
        var em = new byte[(emBits + 7) / 8];
        var encoded = EmsaPss.Encode(preparedMessage, salt, emBits, em);
        if (encoded != RsaBssaError.None)
        {
            return encoded;
        }

        var blinded = new byte[k];
        var inverse = GC.AllocateArray<byte>(k, pinned: true);
        try
        {
            using var bn = BigNumbers.ForModulus(publicKey.Modulus, out var n);
            var e = bn.Load(publicKey.Exponent, secret: false);
            var m = bn.Load(em, secret: true);
            if (!bn.IsCoprime(m, n))
            {
                return RsaBssaError.InvalidInput;
            }

            nint r;
            if (blind.IsEmpty)
            {
                r = bn.RandomBelow(n, k);
            }
            else
            {
                r = bn.Load(blind, secret: true);
                if (!BigNumbers.InRange(r, n))
                {
                    return RsaBssaError.BlindingError;
                }
            }

            if (!bn.TryInverse(r, n, out var inv))
            {
                return RsaBssaError.BlindingError;
            }

            var x = bn.ModExp(r, e, n);
            var z = bn.ModMul(m, x);
            if (!BigNumbers.TryWrite(z, blinded) || !BigNumbers.TryWrite(inv, inverse))
            {
                return RsaBssaError.BlindingError;
            }

            blinding = new RsaBssaBlinding(blinded, inverse);
            return RsaBssaError.None;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(em);
            if (blinding is null)
            {
                CryptographicOperations.ZeroMemory(inverse);
            }
        }
    }

    // ---- BlindSign ----------------------------------------------------------------------------------

    /// <summary>BlindSign: the RSA private operation in OpenSSL, then the RSAVP1(s) = m check. Throws <see cref="RsaBssaException"/>.</summary>
    public byte[] BlindSign(RsaBssaPrivateKey privateKey, ReadOnlySpan<byte> blindedMessage)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        var signature = new byte[privateKey.PublicKey.ModulusLength];
        var error = TryBlindSign(privateKey, blindedMessage, signature);
        return error == RsaBssaError.None ? signature : throw new RsaBssaException(error);
    }

    /// <summary>BlindSign into destination (modulus_len bytes); returns the error instead of throwing.</summary>
    public RsaBssaError TryBlindSign(RsaBssaPrivateKey privateKey, ReadOnlySpan<byte> blindedMessage, Span<byte> destination) =>
        BlindSignCore(privateKey, blindedMessage, destination);

    internal static RsaBssaError BlindSignCore(RsaBssaPrivateKey privateKey, ReadOnlySpan<byte> blindedMessage, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        var k = privateKey.PublicKey.ModulusLength;
        if (blindedMessage.Length != k || destination.Length != k)
        {
            return RsaBssaError.UnexpectedInputSize;
        }

        if (blindedMessage.SequenceCompareTo(privateKey.PublicKey.Modulus) >= 0)
        {
            return RsaBssaError.MessageOutOfRange;
        }

        if (!privateKey.Raw.TryPrivate(blindedMessage, destination))
        {
            destination.Clear();
            return RsaBssaError.SigningFailure;
        }

        // RFC 9474 §4.3 steps 3-4: guard against faults in the private operation (a CRT fault leaks a factor).
        Span<byte> check = stackalloc byte[k];
        if (!privateKey.Raw.TryPublic(destination, check) || !check.SequenceEqual(blindedMessage))
        {
            destination.Clear();
            return RsaBssaError.SigningFailure;
        }

        return RsaBssaError.None;
    }

    // ---- Finalize -----------------------------------------------------------------------------------

    /// <summary>Finalize: unblinds the signer's answer and verifies it. Throws <see cref="RsaBssaException"/>.</summary>
    public byte[] Finalize(RsaBssaPublicKey publicKey, ReadOnlySpan<byte> preparedMessage, ReadOnlySpan<byte> blindSignature, RsaBssaBlinding blinding)
    {
        var error = TryFinalize(publicKey, preparedMessage, blindSignature, blinding, out var signature);
        return error == RsaBssaError.None ? signature! : throw new RsaBssaException(error);
    }

    /// <summary>Finalize, returning the error instead of throwing.</summary>
    public RsaBssaError TryFinalize(RsaBssaPublicKey publicKey, ReadOnlySpan<byte> preparedMessage, ReadOnlySpan<byte> blindSignature, RsaBssaBlinding blinding, [NotNullWhen(false)] out byte[]? signature)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        ArgumentNullException.ThrowIfNull(blinding);
        signature = null;
        var k = publicKey.ModulusLength;
        if (blindSignature.Length != k)
        {
            return RsaBssaError.UnexpectedInputSize;
        }

        if (blinding.Inverse.Length != k)
        {
            return RsaBssaError.InvalidKey;
        }

        var s = new byte[k];
        using (var bn = BigNumbers.ForModulus(publicKey.Modulus, out var n))
        {
            var z = bn.Load(blindSignature, secret: true);
            if (!BigNumbers.InRange(z, n))
            {
                return RsaBssaError.InvalidSignature;
            }

            var inv = bn.Load(blinding.Inverse, secret: true);
            if (!BigNumbers.InRange(inv, n))
            {
                return RsaBssaError.InvalidKey;
            }

            if (!BigNumbers.TryWrite(bn.ModMul(z, inv), s))
            {
                return RsaBssaError.InvalidSignature;
            }
        }

        if (!Verify(publicKey, preparedMessage, s))
        {
            return RsaBssaError.InvalidSignature;
        }

        signature = s;
        return RsaBssaError.None;
    }

    // ---- Verify -------------------------------------------------------------------------------------

    /// <summary>RSASSA-PSS-VERIFY (SHA-384, MGF1-SHA-384, this variant's salt) over the prepared message.</summary>
    public bool Verify(RsaBssaPublicKey publicKey, ReadOnlySpan<byte> preparedMessage, ReadOnlySpan<byte> signature)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        if (signature.Length != publicKey.ModulusLength)
        {
            return false;
        }

        if (SaltLength == EmsaPss.HashLength)
        {
            // The platform's PSS uses salt length = hash length (48), exactly this variant, and is the fastest path.
            return publicKey.Platform.VerifyData(preparedMessage, signature, HashAlgorithmName.SHA384, RSASignaturePadding.Pss);
        }

        Span<byte> digest = stackalloc byte[EmsaPss.HashLength];
        SHA384.HashData(preparedMessage, digest);
        return publicKey.Raw.VerifyPssSha384(digest, signature, SaltLength);
    }
}
