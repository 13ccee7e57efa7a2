global using SimpleXLedger.Testing.Postgres;

namespace SimpleXLedger.Clearing.Tests.Support;

/// <summary>The tests that share one real PostgreSQL server (started by the fixture, stopped after them).</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
