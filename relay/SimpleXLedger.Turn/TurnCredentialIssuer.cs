using System.Buffers.Text;
using System.Security.Cryptography;
using SimpleXLedger.Protos.Turn;
using SimpleXLedger.Relay.Metering;

namespace SimpleXLedger.Turn;

/// <summary>TURN credentials in coturn's REST-API scheme, and the time they were paid for.</summary>
public sealed record IssuedCredential(string Username, string Password, DateTimeOffset Expires, long PaidSeconds);

/// <summary>
/// The domain of the TURN service: one token pays (through the relay's tokens metering policy, which verifies it
/// offline and redeems it at the clearing house; its spent entry is written before anything is issued), then a
/// credential is signed whose expiry plus coturn's longest allocation ends within the time paid for. The credential's
/// label is random: nothing ties it to the token, and nothing about it is stored.
/// </summary>
public sealed class TurnCredentialIssuer
{
    /// <summary>Larger than any type-2 token (2 + 32 + 32 + 32 + 512 bytes for RSA-4096).</summary>
    public const int MaxTokenBytes = 1024;

    private readonly IMeteringPolicy _policy;
    private readonly IMeteringStore _store;
    private readonly TurnSecret _secret;
    private readonly TurnOptions _options;
    private readonly TimeProvider _time;
    private long _issued;

    public TurnCredentialIssuer(IMeteringPolicy policy, IMeteringStore store, TurnSecret secret, TurnOptions options, TimeProvider time)
    {
        _policy = policy;
        _store = store;
        _secret = secret;
        _options = options;
        _time = time;
    }

    /// <summary>Credentials issued since start (a count only).</summary>
    public long Issued => Interlocked.Read(ref _issued);

    public TurnOptions Options => _options;

    /// <summary>Pays with <paramref name="token"/> and signs a credential; a refusal is a <see cref="TurnRefusedException"/> and issues nothing.</summary>
    public async Task<IssuedCredential> BuyAsync(ReadOnlyMemory<byte> token, CancellationToken cancellationToken)
    {
        if (token.IsEmpty || token.Length > MaxTokenBytes)
        {
            throw new TurnRefusedException(TurnErrorCode.BadRequest, "the request carries no token, or one too large to be a token");
        }

        var decision = await _policy.TopUpAsync(new TopUpUsage(token, 0), cancellationToken);
        if (!decision.Allowed)
        {
            throw Refusal(decision.Denial);
        }

        // The token's spent entry (and nothing else) is durable before the credential exists.
        if (!await _store.WriteAsync(decision.Writes, cancellationToken))
        {
            throw new TurnRefusedException(TurnErrorCode.TokenSpent, "the token was already spent");
        }

        var paid = decision.Credit * _options.SecondsPerToken / TokenCredit;
        var expires = _time.GetUtcNow().ToUnixTimeSeconds() + paid - (long)_options.MaxAllocateLifetime.TotalSeconds;
        var username = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{expires}:{Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(12))}");
        Interlocked.Increment(ref _issued);
        return new IssuedCredential(username, _secret.Sign(username), DateTimeOffset.FromUnixTimeSeconds(expires), paid);
    }

    /// <summary>The credit one token brings (the tokens plugin's microcredits per credit).</summary>
    private const long TokenCredit = 1_000_000;

    private static TurnRefusedException Refusal(MeteringDenial? denial) => denial switch
    {
        { Kind: DenialKind.Unavailable } d => new TurnRefusedException(TurnErrorCode.RetryLater, d.Message),
        { Kind: DenialKind.PaymentRefused } d when d.Message.Contains("already spent", StringComparison.OrdinalIgnoreCase) => new TurnRefusedException(TurnErrorCode.TokenSpent, d.Message),
        { } d => new TurnRefusedException(TurnErrorCode.TokenRefused, d.Message),
        null => new TurnRefusedException(TurnErrorCode.TokenRefused, "the token was refused"),
    };
}

/// <summary>A typed refusal: nothing was issued. The message holds no secret.</summary>
public sealed class TurnRefusedException : Exception
{
    public TurnRefusedException()
    {
    }

    public TurnRefusedException(string message)
        : base(message)
    {
    }

    public TurnRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public TurnRefusedException(TurnErrorCode code, string message)
        : base(message)
    {
        Code = code;
    }

    public TurnErrorCode Code { get; }
}
