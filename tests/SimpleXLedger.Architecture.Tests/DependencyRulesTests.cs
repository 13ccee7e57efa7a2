namespace SimpleXLedger.Architecture.Tests;

/// <summary>
/// The rules the layout promises (README, "Dependency graph"): clients carry no server stack, the card library no
/// chain, the token core nothing at all, and nothing in the product references the tools.
/// </summary>
public sealed class DependencyRulesTests
{
    /// <summary>What a wallet, an app or a relay's client side may be built from.</summary>
    public static TheoryData<string> Clients() => new()
    {
        "src/SimpleXLedger.Tokens",
        "src/SimpleXLedger.Net",
        "src/SimpleXLedger.Merkle",
        "src/SimpleXLedger.Cards",
        "src/SimpleXLedger.Epochs",
        "src/SimpleXLedger.Protos",
        "src/SimpleXLedger.Wallet",
        "src/SimpleXLedger.Clearing.Client",
        "relay/SimpleXLedger.Relay.Client",
        "relay/SimpleXLedger.Relay.Metering",
        "relay/SimpleXLedger.Turn.Client",
        "relay/SimpleXLedger.Files.Client",
    };

    private static readonly string[] ServerProjects =
    [
        "SimpleXLedger.Hosting", "SimpleXLedger.Issuer", "SimpleXLedger.Clearing", "SimpleXLedger.Relay",
        "SimpleXLedger.Cli", "SimpleXLedger.Devnet", "SimpleXLedger.Operator", "SimpleXLedger.Turn",
        "SimpleXLedger.Files",
    ];

    private static readonly string[] ServerPackagePrefixes =
    [
        "Grpc.AspNetCore", "Microsoft.AspNetCore", "Microsoft.EntityFrameworkCore", "Npgsql", "Mediator",
    ];

    [Theory]
    [MemberData(nameof(Clients))]
    public void A_client_references_no_server_project_package_or_framework(string folder)
    {
        var closure = ProjectClosure.Of(folder);
        Assert.DoesNotContain(ProjectClosure.AspNetCore, closure.Frameworks);
        Assert.Empty(closure.Projects.Intersect(ServerProjects));
        Assert.DoesNotContain(closure.Packages, p => ServerPackagePrefixes.Any(prefix => p.StartsWith(prefix, StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("src/SimpleXLedger.Cards")]
    [InlineData("src/SimpleXLedger.Epochs")]
    [InlineData("src/SimpleXLedger.Merkle")]
    [InlineData("src/SimpleXLedger.Net")]
    [InlineData("src/SimpleXLedger.Protos")]
    [InlineData("src/SimpleXLedger.Clearing.Client")]
    [InlineData("relay/SimpleXLedger.Relay.Client")]
    [InlineData("relay/SimpleXLedger.Files.Client")]
    public void These_build_without_the_chain(string folder)
    {
        var closure = ProjectClosure.Of(folder);
        Assert.DoesNotContain("SimpleXLedger.Chain", closure.Projects);
        Assert.DoesNotContain("Nethereum.Web3", closure.Packages);
    }

    [Fact]
    public void The_token_core_is_a_dependency_free_leaf()
    {
        var closure = ProjectClosure.Of("src/SimpleXLedger.Tokens");
        Assert.Empty(closure.Projects);
        Assert.DoesNotContain(closure.Packages, p => !p.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal));
    }

    [Fact]
    public void The_epoch_library_needs_nothing_but_bouncycastles_keccak()
    {
        // The clearing house, sxl watch and the contract tests share it: no project, no Nethereum, no gRPC, no EF.
        var closure = ProjectClosure.Of("src/SimpleXLedger.Epochs");
        Assert.Empty(closure.Projects);
        Assert.Equal(["BouncyCastle.Cryptography"], closure.Packages.Where(p => !p.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_product_never_references_the_tools()
    {
        foreach (var folder in new[] { "src/SimpleXLedger.Cli", "src/SimpleXLedger.Devnet" })
        {
            var closure = ProjectClosure.Of(folder);
            Assert.DoesNotContain(closure.Projects, p => p.StartsWith("SimpleXLedger.Audit", StringComparison.Ordinal) || p.StartsWith("SimpleXLedger.Rogue", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_rule_sees_a_server_reference_where_there_is_one()
    {
        // The relay server is the control: if the reading were broken, every client rule would pass vacuously.
        var relay = ProjectClosure.Of("relay/SimpleXLedger.Relay");
        Assert.Contains(ProjectClosure.AspNetCore, relay.Frameworks);
        Assert.Contains("SimpleXLedger.Hosting", relay.Projects);
    }
}
