using System.Globalization;
using SimpleXLedger.Cards;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Clearing.Client;
using SimpleXLedger.Devnet.Network;
using SimpleXLedger.Net;
using SimpleXLedger.Relay.Client;

namespace SimpleXLedger.Audit.Fuzz;

/// <summary>One relay to fuzz: its pinned address, its data directory (read only, for the state digest) and whether its process lives.</summary>
internal sealed record FuzzRelay(string Name, PinnedAddress Address, string DataDirectory, Func<bool> Alive);

/// <summary>The TURN credential service to fuzz (when the devnet runs coturn): its address, data directory (read only) and whether it lives.</summary>
internal sealed record FuzzTurn(PinnedAddress Address, string DataDirectory, Func<bool> Alive);

/// <summary>
/// Everything the fuzzer needs from a running network: where each service answers, where its data lies (read only),
/// whether its process still lives, the chain (for the registry's key), the logs, and a way to get funded cards.
/// </summary>
internal sealed record FuzzTargets
{
    public required Uri IssuerGrpc { get; init; }

    public required Uri IssuerHttp { get; init; }

    public required string IssuerDataDirectory { get; init; }

    public required Func<bool> IssuerAlive { get; init; }

    public required IReadOnlyList<FuzzRelay> Relays { get; init; }

    public required PinnedAddress Clearing { get; init; }

    public required string ClearingDataDirectory { get; init; }

    public required Func<bool> ClearingAlive { get; init; }

    /// <summary>The TURN credential service, or null when the devnet runs without coturn.</summary>
    public FuzzTurn? Turn { get; init; }

    public required string RpcUrl { get; init; }

    public required string Ledger { get; init; }

    public required string LogDirectory { get; init; }

    /// <summary>Where the fuzzer keeps its own wallet.</summary>
    public required string WorkDirectory { get; init; }

    /// <summary>Makes, funds and hands the issuer this many cards; returns their codes once the issuer has them active.</summary>
    public required Func<int, CancellationToken, Task<IReadOnlyList<string>>> FundCardsAsync { get; init; }

    public static FuzzTargets From(DevnetNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        return new FuzzTargets
        {
            IssuerGrpc = network.Issuer.Grpc,
            IssuerHttp = network.Issuer.Http,
            IssuerDataDirectory = network.Issuer.DataDirectory,
            IssuerAlive = () => !network.Issuer.Process.HasExited,
            Relays = [.. network.Relays.Select(r => new FuzzRelay(r.Name, PinnedAddress.Parse(r.Address), r.DataDirectory, () => !r.Process.HasExited))],
            Clearing = PinnedAddress.Parse(network.Clearing.Address),
            ClearingDataDirectory = network.Clearing.DataDirectory,
            ClearingAlive = () => !network.Clearing.Process.HasExited,
            Turn = network.Turn is { } turn ? new FuzzTurn(PinnedAddress.Parse(turn.Address), turn.DataDirectory, () => !turn.Process.HasExited) : null,
            RpcUrl = network.RpcUrl,
            Ledger = network.Ledger,
            LogDirectory = network.Options.LogDirectory,
            WorkDirectory = Path.Combine(network.Options.DataDirectory, "audit", "fuzz"),
            FundCardsAsync = async (count, ct) => (await network.FundCardsAsync("fuzz-", Path.Combine("audit", "fuzz-vendor"), count, 100, ct)).Codes,
        };
    }
}
