using System.Runtime.InteropServices;

namespace SimpleXLedger.Tokens.Interop;

/// <summary>
/// The few libcrypto (OpenSSL 3) entry points the token core needs. .NET has no managed raw-RSA API, so
/// the RSA private operation and the constant-time big-number arithmetic on client secrets run here.
/// Every function listed is a real exported symbol of libcrypto.so.3 (no macros).
/// </summary>
internal static partial class LibCrypto
{
    private const string Library = "libcrypto.so.3";

    public const int RsaPkcs1Padding = 1;
    public const int RsaNoPadding = 3;
    public const int RsaPkcs1PssPadding = 6;
    public const int RsaFlagNoBlinding = 0x80;
    public const int BnFlagConstTime = 0x04;

    // ---- EVP_PKEY operations -------------------------------------------------------------------

    [LibraryImport(Library)]
    public static partial nint EVP_PKEY_CTX_new(nint pkey, nint engine);

    [LibraryImport(Library)]
    public static partial void EVP_PKEY_CTX_free(nint ctx);

    [LibraryImport(Library)]
    public static partial int EVP_PKEY_decrypt_init(nint ctx);

    [LibraryImport(Library)]
    public static partial int EVP_PKEY_encrypt_init(nint ctx);

    [LibraryImport(Library)]
    public static partial int EVP_PKEY_verify_init(nint ctx);

    [LibraryImport(Library)]
    public static partial int EVP_PKEY_CTX_set_rsa_padding(nint ctx, int padding);

    [LibraryImport(Library)]
    public static partial int EVP_PKEY_CTX_set_rsa_pss_saltlen(nint ctx, int saltLength);

    [LibraryImport(Library)]
    public static partial int EVP_PKEY_CTX_set_rsa_mgf1_md(nint ctx, nint md);

    [LibraryImport(Library)]
    public static partial int EVP_PKEY_CTX_set_signature_md(nint ctx, nint md);

    [LibraryImport(Library)]
    public static unsafe partial int EVP_PKEY_decrypt(nint ctx, byte* output, ref nuint outputLength, byte* input, nuint inputLength);

    [LibraryImport(Library)]
    public static unsafe partial int EVP_PKEY_encrypt(nint ctx, byte* output, ref nuint outputLength, byte* input, nuint inputLength);

    [LibraryImport(Library)]
    public static unsafe partial int EVP_PKEY_verify(nint ctx, byte* signature, nuint signatureLength, byte* digest, nuint digestLength);

    [LibraryImport(Library)]
    public static partial nint EVP_sha384();

    /// <summary>The legacy RSA object behind a key (deprecated in 3.0 but exported); used only to inspect its flags.</summary>
    [LibraryImport(Library)]
    public static partial nint EVP_PKEY_get0_RSA(nint pkey);

    [LibraryImport(Library)]
    public static partial int RSA_test_flags(nint rsa, int flags);

    [LibraryImport(Library)]
    public static partial void ERR_clear_error();

    // ---- BIGNUM ---------------------------------------------------------------------------------

    [LibraryImport(Library)]
    public static partial nint BN_new();

    [LibraryImport(Library)]
    public static partial void BN_clear_free(nint bn);

    [LibraryImport(Library)]
    public static unsafe partial nint BN_bin2bn(byte* data, int length, nint ret);

    [LibraryImport(Library)]
    public static unsafe partial int BN_bn2binpad(nint bn, byte* to, int toLength);

    [LibraryImport(Library)]
    public static partial void BN_set_flags(nint bn, int flags);

    [LibraryImport(Library)]
    public static partial int BN_num_bits(nint bn);

    [LibraryImport(Library)]
    public static partial int BN_ucmp(nint a, nint b);

    [LibraryImport(Library)]
    public static partial int BN_is_zero(nint a);

    [LibraryImport(Library)]
    public static partial int BN_is_one(nint a);

    [LibraryImport(Library)]
    public static partial nint BN_CTX_secure_new();

    [LibraryImport(Library)]
    public static partial void BN_CTX_free(nint ctx);

    [LibraryImport(Library)]
    public static partial int BN_mod_exp_mont_consttime(nint result, nint a, nint p, nint m, nint ctx, nint mont);

    [LibraryImport(Library)]
    public static partial nint BN_mod_inverse(nint result, nint a, nint n, nint ctx);

    [LibraryImport(Library)]
    public static partial int BN_gcd(nint result, nint a, nint b, nint ctx);

    [LibraryImport(Library)]
    public static partial nint BN_MONT_CTX_new();

    [LibraryImport(Library)]
    public static partial void BN_MONT_CTX_free(nint mont);

    [LibraryImport(Library)]
    public static partial int BN_MONT_CTX_set(nint mont, nint modulus, nint ctx);

    [LibraryImport(Library)]
    public static partial int BN_mod_mul_montgomery(nint result, nint a, nint b, nint mont, nint ctx);

    [LibraryImport(Library)]
    public static partial int BN_to_montgomery(nint result, nint a, nint mont, nint ctx);
}
