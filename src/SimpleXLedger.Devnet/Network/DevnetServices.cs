using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Devnet.Processes;

namespace SimpleXLedger.Devnet.Network;

/// <summary>The issuer as started: its URLs (RFC 9578 HTTP directory and issuance, gRPC Redeem) and data directory.</summary>
public sealed record IssuerService(DevnetService Service, string DataDirectory, Uri Http, Uri Grpc, string Name, string KeyFile)
{
    public ChildProcess Process => Service.Process;

    public Uri Directory => new(Http, "/.well-known/private-token-issuer-directory");
}

/// <summary>The clearing house as started: its pinned address (sxl://fingerprint@host:port).</summary>
public sealed record ClearingService(DevnetService Service, string DataDirectory, string Address, string KeyFile)
{
    public ChildProcess Process => Service.Process;
}

/// <summary>One relay as started, with the operator that runs it: its Ed25519 operator key and the payee paid for its tokens.</summary>
public sealed record RelayService(DevnetService Service, string Name, string DataDirectory, string Address, DevAccount Payee, string PayeeKeyFile, string OperatorKeyFile)
{
    public ChildProcess Process => Service.Process;
}

/// <summary>A batch funded through <see cref="DevnetNetwork.FundCardsAsync"/>: its file, its funding transaction, and its codes.</summary>
public sealed record FundedCards(SimpleXLedger.Cards.CardBatch Batch, string BatchFile, string CodesFile, SimpleXLedger.Chain.Services.ChainTransaction Funding, IReadOnlyList<string> Codes);

/// <summary>The vendor's batch funded at start: the codes (owner-only file), the batch file and what was paid on-chain.</summary>
public sealed record VendorBatch(string BatchId, string Root, int Cards, ulong CreditsPerCard, string CodesFile, string BatchFile, string? FundingTransaction)
{
    public ulong TotalCredits => (ulong)Cards * CreditsPerCard;
}

/// <summary>
/// TURN for calls, run by operator A beside its relay: coturn, and <c>sxl turn serve</c> selling its credentials for
/// tokens under operator A's key (so they are paid to operator A in the same epochs as its relay's).
/// </summary>
public sealed record TurnService(DevnetService Service, DevnetCoturn Coturn, string DataDirectory, string Address, DevAccount Payee)
{
    public ChildProcess Process => Service.Process;
}
