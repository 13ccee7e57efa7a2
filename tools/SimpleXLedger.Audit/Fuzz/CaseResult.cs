namespace SimpleXLedger.Audit.Fuzz;

/// <summary>How a service answered a case.</summary>
internal enum Verdict
{
    /// <summary>A success answer (a read, an idempotent replay, an input that turned out to be valid): the state digest judges it.</summary>
    Accepted,

    /// <summary>A typed refusal: a gRPC status other than Unknown and Internal, an HTTP 4xx with a problem body.</summary>
    Refused,

    /// <summary>The connection or stream was dropped where the protocol allows nothing better (garbage that is not even HTTP/2).</summary>
    Dropped,

    /// <summary>Unknown or Internal, an HTTP 5xx, a 4xx without a problem body, a dropped call that deserved an answer.</summary>
    Untyped,

    /// <summary>No answer within the case's deadline.</summary>
    Hang,

    /// <summary>The answer repeated a secret of the request (a card code, a queue id).</summary>
    Leak,
}

/// <summary>One case as it went: where it went, what was mutated, what came back and the verdict.</summary>
internal sealed record CaseResult(string Endpoint, string Mutation, string Answer, Verdict Verdict)
{
    public bool IsFinding => Verdict is Verdict.Untyped or Verdict.Hang or Verdict.Leak;
}
