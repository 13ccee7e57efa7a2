using System.Numerics;
using System.Security.Cryptography;
using System.Text.Json;

namespace SimpleXLedger.Tokens.Tests.Support;

/// <summary>The RFC test vectors, copied from the RFC texts into Vectors/ (hex strings as published).</summary>
internal static class Vectors
{
    public static IReadOnlyList<Dictionary<string, string>> Rfc9474 { get; } = LoadList("rfc9474.json");

    public static IReadOnlyList<Dictionary<string, string>> Rfc9578Type2 { get; } = LoadList("rfc9578-type2.json");

    public static JsonDocument Rfc9577 { get; } = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", "rfc9577.json")));

    public static byte[] Hex(string hex) => Convert.FromHexString(hex);

    /// <summary>RSA private parameters from the vector's p, q, n, e, d (CRT parts computed here, on public test data).</summary>
    public static RSAParameters PrivateParameters(Dictionary<string, string> v)
    {
        var n = Hex(v["n"]);
        var p = ToBig(Hex(v["p"]));
        var q = ToBig(Hex(v["q"]));
        var d = ToBig(Hex(v["d"]));
        var half = (n.Length + 1) / 2;
        return new RSAParameters
        {
            Modulus = n,
            Exponent = TrimZeros(Hex(v["e"])),
            D = ToBytes(d, n.Length),
            P = ToBytes(p, half),
            Q = ToBytes(q, half),
            DP = ToBytes(d % (p - 1), half),
            DQ = ToBytes(d % (q - 1), half),
            InverseQ = ToBytes(ModInverse(q, p), half),
        };
    }

    /// <summary>a⁻¹ mod m by the extended Euclidean algorithm (test data only; the library never does this in managed code).</summary>
    public static BigInteger ModInverse(BigInteger a, BigInteger m)
    {
        BigInteger t = 0, newT = 1, r = m, newR = a % m;
        while (newR != 0)
        {
            var quotient = r / newR;
            (t, newT) = (newT, t - (quotient * newT));
            (r, newR) = (newR, r - (quotient * newR));
        }

        if (r != 1)
        {
            throw new ArgumentException("not invertible");
        }

        return t < 0 ? t + m : t;
    }

    public static BigInteger ToBig(byte[] bigEndian) => new(bigEndian, isUnsigned: true, isBigEndian: true);

    public static byte[] ToBytes(BigInteger value, int length)
    {
        var bytes = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        var result = new byte[length];
        bytes.CopyTo(result, length - bytes.Length);
        return result;
    }

    /// <summary>The blind r whose inverse mod n is the vector's inv.</summary>
    public static byte[] BlindFromInverse(byte[] inverse, byte[] modulus) =>
        ToBytes(ModInverse(ToBig(inverse), ToBig(modulus)), modulus.Length);

    private static byte[] TrimZeros(byte[] value)
    {
        var i = 0;
        while (i < value.Length - 1 && value[i] == 0)
        {
            i++;
        }

        return value[i..];
    }

    private static List<Dictionary<string, string>> LoadList(string file) =>
        JsonSerializer.Deserialize<List<Dictionary<string, string>>>(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", file)))!;
}
