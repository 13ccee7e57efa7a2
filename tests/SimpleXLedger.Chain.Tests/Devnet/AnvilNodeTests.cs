using System.Globalization;
using Nethereum.Web3;
using SimpleXLedger.Chain.Devnet;

namespace SimpleXLedger.Chain.Tests.Devnet;

public sealed class AnvilNodeTests
{
    [Fact]
    public async Task Anvil_starts_on_loopback_with_the_well_known_accounts_and_stops_without_leaving_a_process()
    {
        var node = await AnvilNode.StartAsync();
        int anvilPid;
        try
        {
            Assert.StartsWith("http://127.0.0.1:", node.RpcUrl, StringComparison.Ordinal);
            var accounts = await new Web3(node.RpcUrl).Eth.Accounts.SendRequestAsync();
            Assert.Equal(DevAccounts.All.Select(a => a.Address.ToLowerInvariant()), accounts.Select(a => a.ToLowerInvariant()));
            Assert.All(DevAccounts.All, a => Assert.Equal(a.Address, a.Key.GetPublicAddress(), ignoreCase: true));
            anvilPid = ChildOf(node.ProcessId);
            Assert.True(Directory.Exists($"/proc/{anvilPid}"));
        }
        finally
        {
            await node.DisposeAsync();
        }

        Assert.True(node.HasExited);
        Assert.False(IsAlive(anvilPid), "anvil outlived its node object");
    }

    [Fact]
    public async Task Anvil_stops_as_soon_as_its_owner_pipe_closes_as_when_the_owner_is_killed()
    {
        // A SIGKILLed owner runs no cleanup code; the kernel just closes its end of the watchdog's
        // stdin pipe. Closing only that pipe (no kill, no dispose) must be enough to stop Anvil.
        var node = await AnvilNode.StartAsync();
        try
        {
            var anvilPid = ChildOf(node.ProcessId);
            node.CloseOwnerPipe();
            await node.WaitForExitAsync(TimeSpan.FromSeconds(20));
            Assert.False(IsAlive(anvilPid), "anvil survived the closed pipe");
            Assert.True(node.HasExited);
        }
        finally
        {
            await node.DisposeAsync();
        }
    }

    private static bool IsAlive(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat))
        {
            return false;
        }

        try
        {
            // A zombie (state Z) has exited; its parent just has not reaped it yet.
            var text = File.ReadAllText(stat);
            return text[(text.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static int ChildOf(int pid)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var task in Directory.GetDirectories($"/proc/{pid}/task"))
            {
                var children = File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                foreach (var child in children)
                {
                    var id = int.Parse(child, CultureInfo.InvariantCulture);
                    if (File.ReadAllText($"/proc/{id}/comm").Trim() == "anvil")
                    {
                        return id;
                    }
                }
            }
        }

        throw new InvalidOperationException("anvil child not found");
    }
}
