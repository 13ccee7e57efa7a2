using Microsoft.Extensions.DependencyInjection;
using SimpleXLedger.Clearing.Client;
using SimpleXLedger.Net;
using SimpleXLedger.Relay.Metering.Tokens;

namespace SimpleXLedger.Cli.Commands;

/// <summary>
/// For <c>sxl relay serve --clearing &lt;address&gt; --operator-key &lt;file&gt;</c>: the clearing house's
/// <see cref="ClearingTokenRedeemer"/>, offered to the metering plugin as its <see cref="ITokenRedeemer"/>, with the
/// relay's redeemer id and receipt log in its data directory. Without <c>--clearing</c> no redeemer is offered.
/// </summary>
internal sealed class ClearingRedeemerFactory : IAsyncDisposable
{
    /// <summary>Below the relay's 10 s metering timeout, so an unreachable clearing house turns into the risk budget, not a plugin failure.</summary>
    private static readonly TimeSpan RetryFor = TimeSpan.FromSeconds(4);

    private readonly ClearingTokenRedeemer? _redeemer;
    private readonly OperatorKey? _key;

    private ClearingRedeemerFactory(ClearingTokenRedeemer? redeemer, OperatorKey? key, string? error)
    {
        _redeemer = redeemer;
        _key = key;
        Error = error;
    }

    public string? Error { get; }

    /// <summary>The redeemer, if any (it stays this factory's to dispose).</summary>
    public ITokenRedeemer? Redeemer => _redeemer;

    public static Task<ClearingRedeemerFactory> CreateAsync(string? clearing, FileInfo? operatorKey, string dataDirectory)
    {
        if (clearing is null)
        {
            return Task.FromResult(new ClearingRedeemerFactory(null, null, operatorKey is null ? null : "--operator-key is only used with --clearing"));
        }

        if (!PinnedAddress.TryParse(clearing, out var address, out var addressError))
        {
            return Task.FromResult(new ClearingRedeemerFactory(null, null, $"--clearing: {addressError}"));
        }

        if (operatorKey is null)
        {
            return Task.FromResult(new ClearingRedeemerFactory(null, null, "--clearing needs --operator-key (the key registered with `sxl operator register`)"));
        }

        OperatorKey key;
        try
        {
            key = OperatorKey.Load(operatorKey.FullName);
        }
        catch (OperatorKeyException e)
        {
            return Task.FromResult(new ClearingRedeemerFactory(null, null, e.Message));
        }

        var redeemer = new ClearingTokenRedeemer(
            new ClearingRedeemerOptions
            {
                Address = address,
                RetryFor = RetryFor,
                ReceiptLogPath = Path.Combine(dataDirectory, ReceiptLog.DefaultFileName),
            },
            key,
            ClearingTokenRedeemer.LoadOrCreateRedeemerId(dataDirectory));
        return Task.FromResult(new ClearingRedeemerFactory(redeemer, key, null));
    }

    /// <summary>Registers the redeemer, if any, in the relay's container (as an instance: it stays this factory's to dispose).</summary>
    public void AddTo(IServiceCollection services)
    {
        if (_redeemer is not null)
        {
            services.AddSingleton<ITokenRedeemer>(_redeemer);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_redeemer is not null)
        {
            await _redeemer.DisposeAsync();
        }

        _key?.Dispose();
    }
}
