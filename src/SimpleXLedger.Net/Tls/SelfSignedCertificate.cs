using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SimpleXLedger.Net.Tls;

/// <summary>
/// The certificate a service presents on its TLS endpoint: made on first start, kept in the data
/// directory (owner-only file), and reused on every later start so the service's pinned address
/// (its certificate fingerprint) stays the same.
/// </summary>
public static class SelfSignedCertificate
{
    public const string DefaultFileName = "tls-certificate.pfx";

    /// <summary>Loads the certificate kept in <paramref name="dataDirectory"/>, or makes and keeps a new one.</summary>
    public static X509Certificate2 LoadOrCreate(string dataDirectory, string subjectName, string fileName = DefaultFileName)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, fileName);
        if (File.Exists(path))
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, password: null, X509KeyStorageFlags.Exportable);
        }

        using var created = Create(subjectName);
        var pfx = created.Export(X509ContentType.Pkcs12);
        try
        {
            WriteOwnerOnly(path, pfx);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pfx);
        }

        return X509CertificateLoader.LoadPkcs12FromFile(path, password: null, X509KeyStorageFlags.Exportable);
    }

    /// <summary>A fresh ECDSA P-256 self-signed server certificate (not persisted).</summary>
    public static X509Certificate2 Create(string subjectName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={subjectName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddYears(20));
    }

    /// <summary>Writes a new file readable only by its owner, atomically (temporary file, then rename).</summary>
    public static void WriteOwnerOnly(string path, ReadOnlySpan<byte> content)
    {
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
