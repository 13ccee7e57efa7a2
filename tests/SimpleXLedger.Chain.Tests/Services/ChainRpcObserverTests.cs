using Nethereum.JsonRpc.Client;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Chain.Tests.Fixtures;
using SimpleXLedger.Testing.Chain;

namespace SimpleXLedger.Chain.Tests.Services;

[Collection(AnvilCollection.Name)]
public sealed class ChainRpcObserverTests(AnvilFixture anvil)
{
    [Fact]
    public async Task A_failed_call_is_reported_with_its_method_and_a_good_one_is_not()
    {
        using var connection = await ChainConnection.ConnectAsync(anvil.RpcUrl);
        var observer = new ChainRpcObserver();
        var failures = new List<(string Method, ChainRpcFailure Kind)>();
        observer.Failed += (method, kind) => failures.Add((method, kind));
        connection.Observe(observer);

        Assert.True(await connection.BlockNumberAsync() >= 0);
        Assert.Empty(failures);

        await Assert.ThrowsAsync<RpcResponseException>(() => connection.RpcAsync<object>("sxl_no_such_method"));
        Assert.Equal([("sxl_no_such_method", ChainRpcFailure.Response)], failures);
    }
}
