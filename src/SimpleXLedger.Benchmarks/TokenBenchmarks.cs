using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using SimpleXLedger.Tokens;
using SimpleXLedger.Tokens.BlindRsa;
using SimpleXLedger.Tokens.Interop;

namespace SimpleXLedger.Benchmarks;

/// <summary>
/// The token hot paths against their baselines, measured in one run:
/// BlindSign (issuer) vs the bare OpenSSL RSA-2048 private operation (EVP_PKEY_decrypt, RSA_NO_PADDING, one
/// context set up once), and token Verify (relay) vs the platform's RSA-PSS verify of the same bytes.
/// </summary>
[Config(typeof(ShortInProcess))]
public class TokenBenchmarks : IDisposable
{
    private const int Pool = 64;

    private TokenPrivateKey _key = null!;
    private byte[][] _blinded = null!;
    private byte[] _destination = null!;
    private byte[] _signature = null!;
    private byte[] _check = null!;
    private nint _rawContext;
    private Token _token = null!;
    private TokenChallenge _challenge = null!;
    private RSA _platformRsa = null!;
    private byte[] _authenticatorInput = null!;
    private byte[] _authenticator = null!;
    private int _next;

    public sealed class ShortInProcess : ManualConfig
    {
        public ShortInProcess()
        {
            // In-process: no generated project is built inside the shared checkout; few iterations: a couple of minutes in all.
            AddJob(Job.ShortRun.WithIterationCount(10).WithToolchain(InProcessEmitToolchain.Instance).WithId("short-inprocess"));
        }
    }

    [GlobalSetup]
    public void Setup()
    {
        _key = TokenPrivateKey.Generate();
        _challenge = TokenChallenge.ForNetwork("issuer.bench.test");
        _blinded = new byte[Pool][];
        for (var i = 0; i < Pool; i++)
        {
            using var state = TokenClient.CreateRequest(_key.PublicKey, _challenge);
            _blinded[i] = state.Request.BlindedMessage.ToArray();
            if (i == 0)
            {
                _token = TokenClient.Finalize(state, TokenIssuer.Issue(_key, state.Request));
            }
        }

        _destination = new byte[TokenResponse.Length];
        _signature = RsaBssa.Sha384PssDeterministic.BlindSign(_key.RsaKey, _blinded[0]);
        _check = new byte[TokenResponse.Length];
        _rawContext = RawPrivateContext(_key);
        _platformRsa = RSA.Create(_key.PublicKey.RsaKey.Parameters());
        _authenticatorInput = _token.AuthenticatorInput.ToArray();
        _authenticator = _token.Authenticator.ToArray();
    }

    [Benchmark(Description = "BlindSign (RSABSSA, OpenSSL + RSAVP1 check)")]
    public RsaBssaError BlindSign() =>
        RsaBssa.Sha384PssDeterministic.TryBlindSign(_key.RsaKey, _blinded[_next++ % Pool], _destination);

    [Benchmark(Description = "Baseline: raw OpenSSL RSA-2048 private op")]
    public unsafe int RawPrivateOp()
    {
        var input = _blinded[_next++ % Pool];
        var length = (nuint)_destination.Length;
        fixed (byte* i = input)
        fixed (byte* o = _destination)
        {
            return LibCrypto.EVP_PKEY_decrypt(_rawContext, o, ref length, i, (nuint)input.Length);
        }
    }

    [Benchmark(Description = "Part of BlindSign: the RSAVP1(s) = m check (public op)")]
    public bool Rsavp1Check() => _key.RsaKey.Raw.TryPublic(_signature, _check);

    [Benchmark(Description = "Token Verify (type 2)")]
    public bool Verify() => TokenVerifier.Verify(_key.PublicKey, _token, _challenge);

    [Benchmark(Description = "Baseline: platform RSA-PSS verify")]
    public bool PlatformPssVerify() =>
        _platformRsa.VerifyData(_authenticatorInput, _authenticator, HashAlgorithmName.SHA384, RSASignaturePadding.Pss);

    [GlobalCleanup]
    public void Dispose()
    {
        if (_rawContext != 0)
        {
            LibCrypto.EVP_PKEY_CTX_free(_rawContext);
            _rawContext = 0;
        }

        _platformRsa?.Dispose();
        _key?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A private-op context of our own on the same key, so the baseline shares no code with BlindSign.</summary>
    private static nint RawPrivateContext(TokenPrivateKey key)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException();
        }

        using var rsa = new RSAOpenSsl();
        rsa.ImportFromPem(key.ExportPkcs8Pem());
        using var handle = rsa.DuplicateKeyHandle();
        var ctx = LibCrypto.EVP_PKEY_CTX_new(handle.DangerousGetHandle(), 0);
        if (ctx == 0 || LibCrypto.EVP_PKEY_decrypt_init(ctx) != 1 || LibCrypto.EVP_PKEY_CTX_set_rsa_padding(ctx, LibCrypto.RsaNoPadding) != 1)
        {
            throw new CryptographicException("raw context set-up failed");
        }

        return ctx;
    }
}
