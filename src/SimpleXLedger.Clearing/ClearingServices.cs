using Mediator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SimpleXLedger.Clearing.Epochs;
using SimpleXLedger.Clearing.Operators;
using SimpleXLedger.Clearing.Receipts;
using SimpleXLedger.Clearing.Redemption;
using SimpleXLedger.Clearing.Registry;
using SimpleXLedger.Clearing.Storage;
using SimpleXLedger.Hosting.Pipeline;

namespace SimpleXLedger.Clearing;

/// <summary>The clearing house's domain in a service collection: database, registry, identity, Mediator with its pipeline.</summary>
public static class ClearingServices
{
    public static IServiceCollection AddClearingCore(this IServiceCollection services, ClearingSettings settings, ClearingDatabase database, IKeyRegistry registry, ClearingIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(identity);
        settings.Validate();
        services.AddSingleton(settings);
        services.AddSingleton(database);
        services.AddSingleton(registry);
        services.AddSingleton(identity);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ClearingMetrics>();
        database.AddTo(services);
        services.AddCommandPipeline<ClearingDbContext>(database.TransactionPolicy);
        services.AddSingleton<OperatorDirectory>();
        services.AddSingleton<KeyNumbers>();
        services.AddSingleton<SqliteGroupCommit>();
        services.AddSingleton<EpochSchedule>();

        // Pipeline order (CommandPipeline): log, then validate, then open the transaction around the handler.
        services.AddMediator((MediatorOptions options) =>
        {
            options.Namespace = "SimpleXLedger.Clearing.Mediator";
            options.GenerateTypesAsInternal = true;
            options.ServiceLifetime = ServiceLifetime.Scoped;
            options.Assemblies = [typeof(ClearingServices)];
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
