using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using SimpleXLedger.Net;
using SimpleXLedger.Net.Tls;
using SimpleXLedger.Protos.Settlement;

namespace SimpleXLedger.Operator.Payouts;

/// <summary>Reads a clearing house's published leaf lists (settlement.proto) over TLS pinned to its address.</summary>
public sealed class SettlementClient : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly Settlement.SettlementClient _grpc;

    private SettlementClient(GrpcChannel channel)
    {
        _channel = channel;
        _grpc = new Settlement.SettlementClient(channel);
    }

    public static SettlementClient Connect(PinnedAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var pin = new PinnedCertificateValidator(address.Fingerprint);
        var handler = new SocketsHttpHandler { SslOptions = pin.ClientOptions(address.Host), ConnectTimeout = TimeSpan.FromSeconds(10) };
        var channel = GrpcChannel.ForAddress(address.HttpsUri, new GrpcChannelOptions
        {
            HttpHandler = handler,
            HttpVersion = HttpVersion.Version20,
            MaxReceiveMessageSize = 64 << 20,
            DisposeHttpClient = true,
        });
        return new SettlementClient(channel);
    }

    /// <summary>The epoch's published list, or null when the clearing house has none (not closed yet).</summary>
    public async Task<EpochLeaves?> GetEpochAsync(ulong epoch, CancellationToken ct)
    {
        try
        {
            return await _grpc.GetEpochAsync(new GetEpochRequest { Epoch = epoch }, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: ct);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    public void Dispose() => _channel.Dispose();
}
