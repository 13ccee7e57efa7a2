using System.CommandLine;
using SimpleXLedger.Net;
using SimpleXLedger.Relay.KeySources;

namespace SimpleXLedger.Cli.Commands;

/// <summary>
/// <c>--rpc</c>, <c>--ledger</c> and <c>--registry-max-age-ms</c>: the ledger's key registry as a token-accepting
/// service's key source (the relay, the TURN credential service), checked and connected the same way for each.
/// </summary>
internal sealed class KeyRegistryOptions
{
    private readonly string _service;

    /// <param name="service">Who takes its keys from the registry, as error messages name it ("the relay").</param>
    public KeyRegistryOptions(string service)
    {
        _service = service;
        Rpc = new Option<string?>("--rpc") { Description = "Ethereum JSON-RPC URL of the ledger's chain; with --ledger the token keys and windows come from the ledger's key registry, judged at the latest block time." };
        Ledger = new Option<string?>("--ledger") { Description = "The ledger contract's address (with --rpc)." };
        MaxAge = new Option<int>("--registry-max-age-ms") { Description = "How long one reading of the ledger's key registry and block time is reused (with --rpc/--ledger).", DefaultValueFactory = _ => 1000 };
    }

    public Option<string?> Rpc { get; }

    public Option<string?> Ledger { get; }

    public Option<int> MaxAge { get; }

    /// <summary>The usage error of these options, or null when they fit together.</summary>
    public string? Check(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if ((parse.GetValue(Rpc) is null) != (parse.GetValue(Ledger) is null))
        {
            return $"--rpc and --ledger go together: the chain's JSON-RPC URL and the ledger contract on it are {_service}'s token key registry";
        }

        return parse.GetValue(MaxAge) < 0 ? "--registry-max-age-ms must not be negative" : null;
    }

    /// <summary>
    /// Connects the registry when <c>--rpc</c> is given (else no key source, and no error). On failure: the message and
    /// the exit code, usage (2) for a bad address, failed (1) for a ledger that cannot serve as the registry.
    /// </summary>
    public async Task<(LedgerKeySource? Source, string? Error, int ExitCode)> ConnectAsync(ParseResult parse, bool devnet, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (parse.GetValue(Rpc) is not { } rpc)
        {
            return (null, null, ExitCodes.Ok);
        }

        try
        {
            return (await LedgerKeySource.ConnectAsync(rpc, parse.GetValue(Ledger)!, devnet, TimeSpan.FromMilliseconds(parse.GetValue(MaxAge)), cancellationToken: cancellationToken), null, ExitCodes.Ok);
        }
        catch (ArgumentException e)
        {
            return (null, e.Message, ExitCodes.Usage);
        }
        catch (LedgerKeySourceException e)
        {
            return (null, $"the ledger cannot be {_service}'s key registry: {e.Message}", ExitCodes.Failed);
        }
    }
}
