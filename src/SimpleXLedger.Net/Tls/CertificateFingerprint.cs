using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SimpleXLedger.Net.Tls;

/// <summary>
/// The SHA-256 fingerprint of a certificate (over its DER encoding): what a service's address carries
/// and what its clients pin. Written as base64url without padding (43 characters) or as 64 hex digits.
/// </summary>
public static class CertificateFingerprint
{
    public const int Length = 32;

    public static byte[] Sha256(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return SHA256.HashData(certificate.RawDataMemory.Span);
    }

    public static string ToText(ReadOnlySpan<byte> fingerprint) => Base64Url.EncodeToString(fingerprint);

    /// <summary>Parses a fingerprint written as base64url (43 characters) or hex (64 digits).</summary>
    public static bool TryParse(string? text, out byte[] fingerprint)
    {
        fingerprint = [];
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        try
        {
            var bytes = text.Length == 2 * Length ? Convert.FromHexString(text) : Base64Url.DecodeFromChars(text);
            if (bytes.Length != Length)
            {
                return false;
            }

            fingerprint = bytes;
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>True when the certificate's fingerprint equals <paramref name="expected"/> (constant-time compare).</summary>
    public static bool Matches(X509Certificate? certificate, ReadOnlySpan<byte> expected)
    {
        if (certificate is null || expected.Length != Length)
        {
            return false;
        }

        Span<byte> actual = stackalloc byte[Length];
        SHA256.HashData(certificate.GetRawCertData(), actual);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }
}
