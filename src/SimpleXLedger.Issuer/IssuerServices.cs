using Mediator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SimpleXLedger.Hosting.Pipeline;
using SimpleXLedger.Issuer.Issuance;
using SimpleXLedger.Issuer.Keys;
using SimpleXLedger.Issuer.Ledger;
using SimpleXLedger.Issuer.Storage;

namespace SimpleXLedger.Issuer;

/// <summary>The issuer's domain in a service collection: database, Mediator with its pipeline, keys, signer, limiter.</summary>
public static class IssuerServices
{
    public static IServiceCollection AddIssuerCore(this IServiceCollection services, IssuerSettings settings, ILedgerView ledger, ILedgerWriter? writer)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(ledger);
        services.AddSingleton(settings);
        services.TryAddSingleton<SimpleXLedger.Hosting.Startup.ServiceMetrics>();
        services.TryAddSingleton<SimpleXLedger.Issuer.Issuance.IssuerMetrics>();
        services.AddSingleton(ledger);
        if (writer is not null)
        {
            services.AddSingleton(writer);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddDbContext<IssuerDbContext>(o => IssuerDatabase.Configure(o, settings.DatabasePath), ServiceLifetime.Scoped, ServiceLifetime.Singleton);
        services.AddDbContextFactory<IssuerDbContext>(o => IssuerDatabase.Configure(o, settings.DatabasePath), ServiceLifetime.Singleton);
        services.AddCommandPipeline<IssuerDbContext>(TransactionPolicy.Sqlite);
        services.AddSingleton(_ => new KeyFiles(settings.DataDirectory, settings.KeyPassphrase));
        services.AddSingleton<TokenSigner>();
        services.AddSingleton<WrongCodeLimiter>();
        services.AddSingleton<IssuingKeyDirectory>();

        // Pipeline order (CommandPipeline): log, then validate, then open the transaction around the handler.
        services.AddMediator((MediatorOptions options) =>
        {
            options.Namespace = "SimpleXLedger.Issuer.Mediator";
            options.GenerateTypesAsInternal = true;
            options.ServiceLifetime = ServiceLifetime.Scoped;
            options.Assemblies = [typeof(IssuerServices)];
            // Listed here, not by reference: Mediator's source generator reads this array at compile time.
            options.PipelineBehaviors =
            [
                typeof(LoggingBehaviour<,>),
                typeof(ValidationBehaviour<,>),
                typeof(TransactionBehaviour<,>),
            ];
        });
        return services;
    }
}
