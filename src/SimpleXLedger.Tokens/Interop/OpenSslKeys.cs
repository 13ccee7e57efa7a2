using System.Security.Cryptography;

namespace SimpleXLedger.Tokens.Interop;

/// <summary>Creates the OpenSSL-backed RSA objects; the token core runs where libcrypto.so.3 is the platform crypto (Linux).</summary>
internal static class OpenSslKeys
{
    public static RSAOpenSsl CreateEmpty()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The token core needs OpenSSL 3 (Linux).");
        }

        return new RSAOpenSsl();
    }

    public static RSAOpenSsl Generate(int bits)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The token core needs OpenSSL 3 (Linux).");
        }

        // .NET generates with e = 65537.
        var rsa = new RSAOpenSsl(bits);
        using (rsa.DuplicateKeyHandle())
        {
            // Forces generation now rather than on first use.
        }

        return rsa;
    }

    public static RSA CreatePublic(RSAParameters parameters)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The token core needs OpenSSL 3 (Linux).");
        }

        return new RSAOpenSsl(parameters);
    }

    public static OpenSslRsaKey RawPublic(RSAParameters parameters, int modulusLength)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The token core needs OpenSSL 3 (Linux).");
        }

        using var rsa = new RSAOpenSsl(parameters);
        return new OpenSslRsaKey(rsa.DuplicateKeyHandle(), modulusLength);
    }

    public static OpenSslRsaKey Raw(RSAOpenSsl rsa, int modulusLength) => new(rsa.DuplicateKeyHandle(), modulusLength);
}
