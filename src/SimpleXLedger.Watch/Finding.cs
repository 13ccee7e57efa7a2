using Nethereum.Contracts;

namespace SimpleXLedger.Watch;

/// <summary>What a watcher found wrong in an epoch, with the judge call that proves it (docs/ledger-v2.md §14.1).</summary>
public sealed record Finding(string Kind, string Detail, byte[] JudgeCall)
{
    public static Finding Of<TProof>(string kind, string detail, TProof proof)
        where TProof : FunctionMessage, new() => new(kind, detail, proof.GetCallData());
}
