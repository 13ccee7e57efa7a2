using System.Text.Json.Nodes;
using SimpleXLedger.Devnet.Network;
using Spectre.Console;

namespace SimpleXLedger.Devnet.Scenarios;

/// <summary>
/// Something played through a running devnet (<c>sxl devnet --scenario &lt;name&gt;</c>, or <c>sxl-audit</c> for the
/// audit): users, faults, an adversary. A scenario gets the started <see cref="DevnetNetwork"/> (its processes, addresses, ledger and
/// the <c>sxl</c> runner) and returns a report: a verdict, one JSON object and a readable summary.
/// </summary>
public interface IDevnetScenario
{
    string Name { get; }

    string Description { get; }

    /// <summary>Adjusts the network before it starts (epoch length, relay count, …); the default keeps it.</summary>
    DevnetOptions Configure(DevnetOptions options) => options;

    Task<ScenarioReport> RunAsync(DevnetNetwork network, IDevnetProgress progress, CancellationToken ct);
}

/// <summary>What a scenario found.</summary>
public abstract class ScenarioReport
{
    /// <summary>Everything the scenario checked held (this is the exit status with <c>--exit</c>).</summary>
    public abstract bool Passed { get; }

    /// <summary>The one JSON object <c>--json</c> prints.</summary>
    public abstract JsonObject ToJson();

    /// <summary>The readable summary.</summary>
    public abstract void Render(IAnsiConsole console);
}

/// <summary>The scenarios <c>sxl devnet --scenario</c> knows, by name. Add one with <see cref="Add"/>.</summary>
public sealed class ScenarioCatalog
{
    private readonly Dictionary<string, (string Description, Func<IDevnetScenario> Create)> _scenarios = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The built-in scenarios: <c>smoke</c>. The privacy audit is a scenario too, but QA tooling, not product: its own
    /// program, <c>sxl-audit</c> (tools/SimpleXLedger.Audit), runs it on a network of its own.
    /// </summary>
    public static ScenarioCatalog Default() => new ScenarioCatalog().Add(Smoke.SmokeScenario.ScenarioName, Smoke.SmokeScenario.ScenarioDescription, () => new Smoke.SmokeScenario());

    public IEnumerable<string> Names => _scenarios.Keys.Order(StringComparer.Ordinal);

    public ScenarioCatalog Add(string name, string description, Func<IDevnetScenario> create)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _scenarios[name] = (description, create);
        return this;
    }

    public string DescriptionOf(string name) => _scenarios[name].Description;

    public bool TryCreate(string name, out IDevnetScenario scenario)
    {
        if (_scenarios.TryGetValue(name, out var entry))
        {
            scenario = entry.Create();
            return true;
        }

        scenario = null!;
        return false;
    }
}
