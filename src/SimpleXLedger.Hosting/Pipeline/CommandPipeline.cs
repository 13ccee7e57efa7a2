using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace SimpleXLedger.Hosting.Pipeline;

/// <summary>
/// The command pipeline every service with a database shares: <see cref="LoggingBehaviour{TMessage, TResponse}"/>,
/// then <see cref="ValidationBehaviour{TMessage, TResponse}"/>, then <see cref="TransactionBehaviour{TMessage, TResponse}"/>
/// around the handler. A service lists the three, in that order, in its Mediator options (the source generator reads
/// that array literally) and calls <see cref="AddCommandPipeline{TContext}"/> for what they depend on.
/// </summary>
public static class CommandPipeline
{
    /// <summary>Registers the write gate, the transaction policy and <typeparamref name="TContext"/> as the pipeline's <see cref="DbContext"/>.</summary>
    public static IServiceCollection AddCommandPipeline<TContext>(this IServiceCollection services, TransactionPolicy policy)
        where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(policy);
        services.AddSingleton<WriteGate>();
        services.AddSingleton(policy);
        services.AddScoped<DbContext>(provider => provider.GetRequiredService<TContext>());
        return services;
    }
}
