namespace SimpleXLedger.Audit.Fuzz;

/// <summary>The cases of one endpoint: each draws everything it does from its <see cref="FuzzRandom"/>.</summary>
internal interface IFuzzFamily
{
    /// <summary>The endpoint, e.g. <c>issuer.grpc/Redeem</c> (per-endpoint figures are kept under it).</summary>
    string Endpoint { get; }

    /// <summary>How often, relative to the others, a case is one of this family's.</summary>
    int Weight { get; }

    Task<CaseResult> RunAsync(FuzzRandom random, FuzzContext context, CancellationToken ct);
}
