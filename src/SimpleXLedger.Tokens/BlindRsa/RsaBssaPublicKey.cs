using System.Security.Cryptography;
using SimpleXLedger.Tokens.Interop;

namespace SimpleXLedger.Tokens.BlindRsa;

/// <summary>
/// An RSA public key (n, e) for RSABSSA. Immutable and safe to share between threads; verification goes
/// through the platform's RSA (OpenSSL) implementation.
/// </summary>
public sealed class RsaBssaPublicKey : IEquatable<RsaBssaPublicKey>
{
    /// <summary>Smallest modulus accepted (RFC 9474 test vectors use 4096, Privacy Pass type 2 uses 2048).</summary>
    public const int MinimumModulusBits = 2048;

    /// <summary>Largest modulus accepted.</summary>
    public const int MaximumModulusBits = 8192;

    private readonly byte[] _modulus;
    private readonly byte[] _exponent;
    private readonly Lazy<RSA> _platform;
    private readonly Lazy<OpenSslRsaKey> _raw;

    private RsaBssaPublicKey(byte[] modulus, byte[] exponent, int modulusBits)
    {
        _modulus = modulus;
        _exponent = exponent;
        ModulusBits = modulusBits;
        _platform = new Lazy<RSA>(() => OpenSslKeys.CreatePublic(Parameters()), LazyThreadSafetyMode.ExecutionAndPublication);
        _raw = new Lazy<OpenSslRsaKey>(() => OpenSslKeys.RawPublic(Parameters(), ModulusLength), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Size of n in bits.</summary>
    public int ModulusBits { get; }

    /// <summary>modulus_len: size of n in bytes; the size of every blinded message and signature.</summary>
    public int ModulusLength => _modulus.Length;

    /// <summary>n, big-endian, exactly <see cref="ModulusLength"/> bytes.</summary>
    public ReadOnlySpan<byte> Modulus => _modulus;

    /// <summary>e, big-endian, minimal.</summary>
    public ReadOnlySpan<byte> Exponent => _exponent;

    internal RSA Platform => _platform.Value;

    internal OpenSslRsaKey Raw => _raw.Value;

    /// <summary>Builds a key from big-endian n and e (leading zeros are ignored).</summary>
    public static RsaBssaPublicKey FromParameters(ReadOnlySpan<byte> modulus, ReadOnlySpan<byte> exponent) =>
        TryFromParameters(modulus, exponent, out var key) ? key : throw new RsaBssaException(RsaBssaError.InvalidKey);

    /// <summary>Builds a key from big-endian n and e; false when they do not form a usable RSA public key.</summary>
    public static bool TryFromParameters(ReadOnlySpan<byte> modulus, ReadOnlySpan<byte> exponent, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out RsaBssaPublicKey? key)
    {
        key = null;
        modulus = TrimLeadingZeros(modulus);
        exponent = TrimLeadingZeros(exponent);
        if (modulus.IsEmpty || exponent.IsEmpty)
        {
            return false;
        }

        var bits = (modulus.Length * 8) - System.Numerics.BitOperations.LeadingZeroCount((uint)modulus[0]) + 24;
        if (bits < MinimumModulusBits || bits > MaximumModulusBits || (modulus[^1] & 1) == 0)
        {
            return false;
        }

        // e odd, at least 3, at most 64 bits (and so below n).
        if ((exponent[^1] & 1) == 0 || exponent.Length > 8 || (exponent.Length == 1 && exponent[0] < 3))
        {
            return false;
        }

        key = new RsaBssaPublicKey(modulus.ToArray(), exponent.ToArray(), bits);
        return true;
    }

    /// <summary>The key as .NET RSA parameters (public part only).</summary>
    public RSAParameters Parameters() => new() { Modulus = (byte[])_modulus.Clone(), Exponent = (byte[])_exponent.Clone() };

    /// <summary>PKCS#1 RSAPublicKey DER encoding.</summary>
    public byte[] ExportRsaPublicKey() => Platform.ExportRSAPublicKey();

    public bool Equals(RsaBssaPublicKey? other) =>
        other is not null && _modulus.AsSpan().SequenceEqual(other._modulus) && _exponent.AsSpan().SequenceEqual(other._exponent);

    public override bool Equals(object? obj) => Equals(obj as RsaBssaPublicKey);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(_modulus.AsSpan(^16..));
        return hash.ToHashCode();
    }

    private static ReadOnlySpan<byte> TrimLeadingZeros(ReadOnlySpan<byte> value)
    {
        var i = 0;
        while (i < value.Length && value[i] == 0)
        {
            i++;
        }

        return value[i..];
    }
}
