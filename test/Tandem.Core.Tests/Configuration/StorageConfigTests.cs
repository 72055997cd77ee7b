using Tandem.Configuration;
using Xunit;

namespace Tandem.Core.Tests.Configuration;

/// <summary><c>storage.engine</c> (with its old name <c>storage.provider</c>) and <c>server.shutdown_timeout</c>.</summary>
public sealed class StorageConfigTests
{
    private const string Variable = "TANDEM_STORAGE_CONFIG_TEST_PG";

    private static TandemConfig Parse(string yaml)
    {
        Environment.SetEnvironmentVariable(Variable, "Host=127.0.0.1;Port=1;Username=u;Database=d");
        return ConfigLoader.Parse("auth: { disabled: true }\n" + yaml);
    }

    private static IReadOnlyList<string> Errors(string yaml) => Assert.Throws<ConfigException>(() => Parse(yaml)).Errors;

    [Fact]
    public void Parse_NoStorageSection_SqliteBesideTheConfiguration_ThirtySecondShutdown()
    {
        var config = Parse("");
        Assert.Equal(("sqlite", "tandem.db", null), (config.Storage.Engine, config.Storage.Path, config.Storage.EngineAlias));
        Assert.Equal("30s", config.Server.ShutdownTimeout);
    }

    [Fact]
    public void Parse_StorageEngine_IsTheDocumentedKey()
    {
        var config = Parse($"storage: {{ engine: postgres, connection_string_env: {Variable}, schema: tandem }}");
        Assert.Equal(("postgres", "tandem"), (config.Storage.Engine, config.Storage.Schema));
    }

    [Fact]
    public void Parse_StorageProvider_StillLoadsAsTheEngine()
    {
        // Files written before the rename (the acceptance report's configurations among them) keep working.
        var config = Parse($"storage: {{ provider: postgres, connection_string_env: {Variable} }}");
        Assert.Equal("postgres", config.Storage.Engine);
        Assert.Equal("sqlite", Parse("storage: { provider: sqlite, path: t.db }").Storage.Engine);
    }

    [Fact]
    public void Parse_EngineAndProviderAgreeing_Accepted_Contradicting_Rejected()
    {
        Assert.Equal("postgres", Parse($"storage: {{ engine: postgres, provider: postgres, connection_string_env: {Variable} }}").Storage.Engine);
        Assert.Equal(
            ["storage.provider: 'sqlite' contradicts storage.engine 'postgres' (provider is the old name of engine: keep only engine)"],
            Errors($"storage: {{ engine: postgres, provider: sqlite, connection_string_env: {Variable} }}"));
    }

    [Fact]
    public void Parse_UnknownEngine_NamesTheKeyTheFileUsed()
    {
        Assert.Equal(["storage.engine: unknown engine 'mysql' (expected 'sqlite' or 'postgres')"], Errors("storage: { engine: mysql }"));
        Assert.Equal(["storage.provider: unknown engine 'mysql' (expected 'sqlite' or 'postgres')"], Errors("storage: { provider: mysql }"));
    }

    [Fact]
    public void Parse_PostgresWithoutItsConnectionStringVariable_Rejected()
    {
        Assert.Equal(["storage.connection_string_env: environment variable 'TANDEM_STORAGE_CONFIG_TEST_UNSET' is not set"],
            Errors("storage: { engine: postgres, connection_string_env: TANDEM_STORAGE_CONFIG_TEST_UNSET }"));
    }

    [Theory]
    [InlineData("0s")]
    [InlineData("2h")]
    [InlineData("soon")]
    [InlineData("1e300s")]
    public void Parse_ShutdownTimeoutOutOfRange_Rejected(string value)
    {
        Assert.Equal([$"server.shutdown_timeout: '{value}' must be a duration between 1ms and 1h, e.g. 30s"], Errors($"server: {{ shutdown_timeout: {value} }}"));
    }

    [Fact]
    public void Parse_ShutdownTimeout_Read()
    {
        Assert.Equal("90s", Parse("server: { shutdown_timeout: 90s }").Server.ShutdownTimeout);
    }
}
