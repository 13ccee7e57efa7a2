namespace SimpleXLedger.Audit.Tests;

/// <summary>The wire check's own rules (the proxy's ClientHello reading is tested with real handshakes in the wallet's transport tests).</summary>
public sealed class WalletWireTests
{
    [Fact]
    public void Fewer_connections_than_promised_fresh_operations_or_any_resumption_fails_a_service()
    {
        Assert.True(new WireService("careful", "relay-a", 10, 10, 0, 0, 10).Ok);
        Assert.True(new WireService("careful", "relay-a", 12, 12, 0, 0, 10).Ok);
        var reused = new WireService("careful", "relay-a", 9, 9, 0, 0, 10);
        Assert.Equal(1, reused.FreshReused);
        Assert.False(reused.Ok);
        Assert.False(new WireService("control", "issuer-grpc", 3, 3, 1, 0, 0).Ok);
        Assert.False(new WireService("control", "turn", 3, 3, 0, 1, 0).Ok);
    }
}
