using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Hosting.Startup;
using SimpleXLedger.Issuer.Keys;
using SimpleXLedger.Issuer.Ledger;
using SimpleXLedger.Issuer.Storage;
using SimpleXLedger.Net.Tls;

namespace SimpleXLedger.Issuer.Hosting;

/// <summary>Where and how the issuer listens.</summary>
public sealed record IssuerEndpoints
{
    public required IPEndPoint Http { get; init; }

    public required IPEndPoint Grpc { get; init; }

    /// <summary>A PKCS#12 certificate for TLS; without one a self-signed certificate is made and kept in the data directory.</summary>
    public string? CertificatePath { get; init; }

    public string? CertificatePassword { get; init; }

    /// <summary>A PEM certificate (chain) file with <see cref="KeyPemPath"/>, followed without restart (SIGHUP, polling).</summary>
    public string? CertificatePemPath { get; init; }

    /// <summary>The PEM private key file of <see cref="CertificatePemPath"/>.</summary>
    public string? KeyPemPath { get; init; }

    /// <summary>How often the PEM files are compared with the certificate in use (zero: only on SIGHUP).</summary>
    public TimeSpan CertificatePollInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Reread the PEM files on SIGHUP (the CLI; not in a test host that shares its process).</summary>
    public bool ReloadCertificateOnSighup { get; init; }

    /// <summary>TLS on loopback listeners too (always on for any other address).</summary>
    public bool TlsOnLoopback { get; init; }

    /// <summary>Prometheus metrics listener and gRPC reflection (health checks are always served).</summary>
    public ServiceObservability Observability { get; init; } = ServiceObservability.None;
}

/// <summary>
/// Builds the issuer's web host: gRPC on one listener (HTTP/2), the RFC 9578 endpoints on another (HTTP/1.1 and 2).
/// TLS on every listener that is not loopback; plain HTTP only on loopback.
/// </summary>
public static class IssuerHost
{
    public static async Task<WebApplication> BuildAsync(
        IssuerSettings settings,
        IssuerEndpoints endpoints,
        ILedgerView ledger,
        ILedgerWriter? writer,
        Action<ILoggingBuilder>? logging = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(ledger);
        settings.Validate();
        await DataDirectory.OpenAsync(settings, ledger.IsDevelopment ? IssuerMode.Development : IssuerMode.Ledger, (ledger as ChainLedger)?.Address, cancellationToken);

        var builder = ServiceHost.CreateBuilder(logging);

        ReloadingPemCertificate? pem = endpoints.CertificatePemPath is not null && endpoints.KeyPemPath is not null
            ? new ReloadingPemCertificate(endpoints.CertificatePemPath, endpoints.KeyPemPath, endpoints.CertificatePollInterval, endpoints.ReloadCertificateOnSighup)
            : null;
        if (pem is not null)
        {
            builder.Services.AddSingleton(_ => pem);
        }

        void UseTls(ListenOptions listen)
        {
            if (pem is not null)
            {
                listen.UseHttps(new HttpsConnectionAdapterOptions { ServerCertificateSelector = (_, _) => pem.Current });
            }
            else
            {
                listen.UseHttps(Certificate());
            }
        }

        X509Certificate2? certificate = null;
        X509Certificate2 Certificate() => certificate ??= endpoints.CertificatePath is not null
            ? X509CertificateLoader.LoadPkcs12FromFile(endpoints.CertificatePath, endpoints.CertificatePassword)
            : SelfSignedCertificate.LoadOrCreate(settings.DataDirectory, settings.Name);

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = 4 * 1024 * 1024;
            kestrel.Listen(endpoints.Http, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                if (NeedsTls(endpoints.Http, endpoints))
                {
                    UseTls(listen);
                }
            });
            kestrel.Listen(endpoints.Grpc, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                if (NeedsTls(endpoints.Grpc, endpoints))
                {
                    UseTls(listen);
                }
            });
        });

        builder.AddObservability(endpoints.Observability);
        builder.Services.AddIssuerCore(settings, ledger, writer);
        builder.Services.AddServiceDefaults(settings.DataDirectory, 4 * 1024 * 1024);
        builder.Services.AddSingleton(endpoints);
        builder.Services.AddSingleton<IssuerHttpOrigin>();
        builder.Services.AddSingleton<IssuerMaintenance>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<IssuerMaintenance>());

        var app = builder.Build();
        // Refusals that no endpoint wrote (an unknown path, a method not allowed) still carry a problem body (RFC 9457).
        app.UseServiceDefaults(between: a => a.UseStatusCodePages(PrivacyPassEndpoints.WriteStatusProblemAsync));
        var grpc = app.MapGrpcService<IssuerGrpcService>();
        if (endpoints.Grpc.Port != 0 && endpoints.Http.Port != 0)
        {
            grpc.RequireHost($"*:{endpoints.Grpc.Port}");
            PrivacyPassEndpoints.Map(app, $"*:{endpoints.Http.Port}");
        }
        else
        {
            PrivacyPassEndpoints.Map(app, null);
        }

        // The first key (and, with a ledger, its anchoring) exists before the first request is taken.
        await app.Services.GetRequiredService<IssuerMaintenance>().RunOnceAsync(cancellationToken);

        // Refuse to start on a key handle without OpenSSL's RSA blinding (the tests are not the only check).
        if (await app.Services.GetRequiredService<IssuingKeyDirectory>().CurrentAsync(cancellationToken) is { } current)
        {
            app.Services.GetRequiredService<KeyFiles>().RequireBlinding(current.Id);
        }

        return app;
    }

    public static bool NeedsTls(IPEndPoint endpoint, IssuerEndpoints endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.TlsOnLoopback || !IPAddress.IsLoopback(endpoint.Address);
    }

    /// <summary>The URL a client uses for an endpoint: its public host name when given (<c>--public-host</c>), else its address.</summary>
    public static string UrlOf(IPEndPoint endpoint, IssuerEndpoints endpoints, string? publicHost = null) =>
        $"{(NeedsTls(endpoint, endpoints) ? "https" : "http")}://{(publicHost is null ? endpoint.ToString() : $"{publicHost}:{endpoint.Port}")}";
}
