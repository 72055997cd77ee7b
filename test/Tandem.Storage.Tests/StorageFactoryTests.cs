using Tandem.Configuration;
using Xunit;

namespace Tandem.Storage.Tests;

public sealed class StorageFactoryTests
{
    [Fact]
    public void Open_PostgresWithoutItsConnectionString_ThrowsRatherThanFallingBackToSqlite()
    {
        var options = new StorageConfig { Engine = StorageEngines.Postgres, ConnectionStringEnv = "TANDEM_FACTORY_TEST_UNSET" };
        var e = Assert.Throws<InvalidOperationException>(() => StorageFactory.Open(options, Path.GetTempPath()));
        Assert.Equal("storage.connection_string_env: environment variable 'TANDEM_FACTORY_TEST_UNSET' is not set", e.Message);
    }

    [Fact]
    public async Task Open_OneDatabase_BothStoresShareIt()
    {
        var dir = Directory.CreateTempSubdirectory("tandem-factory-").FullName;
        try
        {
            await using var database = StorageFactory.Open(new StorageConfig { Path = "sub/t.db" }, dir);
            Assert.Equal((StorageEngines.Sqlite, Path.Combine(dir, "sub", "t.db")), (database.Engine, database.Where));
            Assert.Equal(StorageEngines.Sqlite, database.Records.Engine);
            await database.MigrateAsync(TestContext.Current.CancellationToken);
            Assert.Empty(await database.Migrations.ListAsync(TestContext.Current.CancellationToken));
            Assert.True(File.Exists(Path.Combine(dir, "sub", "t.db")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
