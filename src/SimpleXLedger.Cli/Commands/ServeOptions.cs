using System.CommandLine;
using System.Net;
using SimpleXLedger.Hosting.Startup;

namespace SimpleXLedger.Cli.Commands;

/// <summary>The options every <c>serve</c> command shares: metrics, gRPC reflection, and (for pinned addresses) the public host.</summary>
internal sealed class ServeOptions
{
    private readonly Option<string?> _metrics = new("--metrics") { Description = "ip:port for Prometheus metrics at /metrics, plain HTTP on a listener of its own (keep it on loopback or a private network; off when not given)." };
    private readonly Option<bool> _reflection = new("--grpc-reflection") { Description = "Serve gRPC server reflection (for grpcurl and the like)." };
    private readonly Option<string?>? _publicHost;

    public ServeOptions(Command command, bool publicHost)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(_metrics);
        command.Options.Add(_reflection);
        if (publicHost)
        {
            _publicHost = new Option<string?>("--public-host") { Description = "Host name written in the printed sxl:// address (default: the listen address; 127.0.0.1 for 0.0.0.0)." };
            command.Options.Add(_publicHost);
        }
    }

    public string? PublicHost(ParseResult parse) => _publicHost is null ? null : parse.GetValue(_publicHost);

    /// <summary>The observability the options ask for, or the usage error.</summary>
    public ServiceObservability? Observability(ParseResult parse, out string? error)
    {
        ArgumentNullException.ThrowIfNull(parse);
        error = null;
        IPEndPoint? metrics = null;
        if (parse.GetValue(_metrics) is { } text && !IPEndPoint.TryParse(text, out metrics))
        {
            error = "--metrics must be ip:port, for example 127.0.0.1:9464";
            return null;
        }

        return new ServiceObservability { Metrics = metrics, GrpcReflection = parse.GetValue(_reflection) };
    }
}
