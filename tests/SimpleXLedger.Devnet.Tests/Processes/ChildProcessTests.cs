using System.Globalization;
using SimpleXLedger.Devnet.Processes;
using SimpleXLedger.Devnet.Tests.Support;

namespace SimpleXLedger.Devnet.Tests.Processes;

public sealed class ChildProcessTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly string _logs = Directory.CreateTempSubdirectory("sxl-child-").FullName;

    [Fact]
    public async Task When_its_owner_dies_the_pipe_closes_and_the_program_is_terminated()
    {
        // The program prints its own pid, then waits forever.
        await using var child = ChildProcess.Start("sleeper", "/bin/sh", ["-c", "echo $$; exec sleep 600"], Log("sleeper"));
        var pid = int.Parse(await child.WaitForLineAsync(_ => true, Timeout), CultureInfo.InvariantCulture);
        Assert.True(ProcessTable.IsAlive(pid));

        child.CloseOwnerPipe();

        Assert.Empty(await ProcessTable.WaitAllGoneAsync([pid], Timeout));
        await child.Exited.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Stop_sends_sigterm_so_the_program_can_clean_up_and_its_status_is_reported()
    {
        var marker = Path.Combine(_logs, "cleaned-up");
        await using var child = ChildProcess.Start(
            "graceful",
            "/bin/sh",
            ["-c", $"trap 'echo bye > {marker}; exit 0' TERM; echo ready; while :; do sleep 0.1; done"],
            Log("graceful"));
        await child.WaitForLineAsync(l => l == "ready", Timeout);

        var status = await child.StopAsync(Timeout);

        Assert.Equal(0, status);
        Assert.Equal("bye", File.ReadAllText(marker).Trim());
    }

    [Fact]
    public async Task A_program_that_ends_before_its_ready_line_is_an_error_naming_it_with_its_last_output()
    {
        await using var child = ChildProcess.Start("broken", "/bin/sh", ["-c", "echo 'cannot bind 127.0.0.1:1' >&2; exit 3"], Log("broken"));

        var e = await Assert.ThrowsAsync<ChildProcessException>(() => child.WaitForLineAsync(l => l.StartsWith("ready", StringComparison.Ordinal), Timeout));

        Assert.Contains("broken exited with status 3", e.Message, StringComparison.Ordinal);
        Assert.Contains("cannot bind 127.0.0.1:1", e.Message, StringComparison.Ordinal);
        Assert.Contains("cannot bind", File.ReadAllText(Log("broken")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stdout_marked_secret_stays_in_memory_and_out_of_the_log()
    {
        await using var child = ChildProcess.Start("codes", "/bin/sh", ["-c", "echo SXL-SECRET-CODE; echo progress >&2"], Log("codes"), logStdout: false);
        await child.WaitForExitAsync(Timeout);

        Assert.Contains("SXL-SECRET-CODE", child.StandardOutput);
        var log = File.ReadAllText(Log("codes"));
        Assert.Contains("progress", log, StringComparison.Ordinal);
        Assert.DoesNotContain("SXL-SECRET-CODE", log, StringComparison.Ordinal);
    }

    [Fact]
    public void The_program_runs_itself_as_apphost_or_through_dotnet_with_its_dll()
    {
        var program = SxlProgram.Current();

        // The test host runs under dotnet: the entry assembly comes first.
        if (Path.GetFileNameWithoutExtension(program.FileName) == "dotnet")
        {
            Assert.Single(program.LeadingArguments);
            Assert.EndsWith(".dll", program.LeadingArguments[0], StringComparison.Ordinal);
        }
        else
        {
            Assert.Empty(program.LeadingArguments);
        }

        Assert.Equal(["x", "relay", "serve"], SxlProgram.FromDll("dotnet", "x").Arguments(["relay", "serve"]));
        Assert.Equal("'sxl://a@b:1 c'", SxlProgram.Quote("sxl://a@b:1 c"));
        Assert.Equal("sxl://a@127.0.0.1:5223", SxlProgram.Quote("sxl://a@127.0.0.1:5223"));
    }

    public void Dispose() => Directory.Delete(_logs, recursive: true);

    private string Log(string name) => Path.Combine(_logs, name + ".log");
}
