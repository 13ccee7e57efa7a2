using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using SimpleXLedger.Protos.Settlement;

namespace SimpleXLedger.Clearing.Settlement;

/// <summary>settlement.proto: serves the published leaf list of an epoch from its leaf file (thin; nothing computed here).</summary>
public sealed class SettlementGrpcService(ClearingSettings settings) : Protos.Settlement.Settlement.SettlementBase
{
    private readonly LeafStore _store = new(settings.DataDirectory);

    public override Task<EpochLeaves> GetEpoch(GetEpochRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var file = _store.TryLoad(request.Epoch)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"epoch {request.Epoch.ToString(CultureInfo.InvariantCulture)} has no published leaf list"));
        var reply = new EpochLeaves
        {
            Epoch = file.Epoch,
            Round = (uint)file.Round,
            Root = ByteString.CopyFrom(file.RootBytes),
            LeavesHash = ByteString.CopyFrom(file.LeavesHashBytes),
            Total = file.Total,
            OperatorTotal = file.OperatorTotal,
            PostedTx = file.PostedTx ?? "",
        };
        reply.Leaves.AddRange(file.Leaves.Select(l => new Leaf { Payee = l.Payee, Amount = l.Amount }));
        return Task.FromResult(reply);
    }
}
