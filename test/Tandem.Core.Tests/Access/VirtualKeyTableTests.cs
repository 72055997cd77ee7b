using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Tandem.Access;
using Tandem.Configuration;
using Tandem.Runtime;
using Xunit;

namespace Tandem.Core.Tests.Access;

public sealed class VirtualKeyTableTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    // Hashes computed here with SHA256 directly, not with the code under test.
    private static string Sha(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static VirtualKey Key(string id, string secret, AdminRole? role = null, DateTimeOffset? expires = null) => new()
    {
        Id = id,
        Name = "name-" + id,
        Hash = Sha(secret),
        Prefix = secret[..8],
        Team = "team-" + id,
        Owner = "owner-" + id,
        Role = role,
        Routes = role is null ? ["chat"] : ["*"],
        CreatedAt = T0,
        ExpiresAt = expires,
    };

    private static KeyRing Ring(VirtualKeyTable table, string? adminEnv = null) => new(new AuthConfig
    {
        Keys = [new ApiKeyConfig { Name = "from-file", Key = "sk-file-key-1", Team = "platform" }],
        AdminKeySha256 = adminEnv is null ? null : Sha(adminEnv),
    }, table);

    [Fact]
    public void Authenticate_AVirtualApiKey_CarriesItsIdTeamOwnerAndRoutes()
    {
        var table = new VirtualKeyTable(new FakeTimeProvider(T0));
        table.Load([Key("vk_1", "tdm-secret-one")]);
        var ring = Ring(table);

        var key = ring.Authenticate("tdm-secret-one");

        Assert.NotNull(key);
        Assert.Equal(("name-vk_1", "vk_1", "team-vk_1", "owner-vk_1", (AdminRole?)null), (key!.Name, key.Id, key.Team, key.Owner, key.Role));
        Assert.True(key.MayUse("chat"));
        Assert.False(key.MayUse("other"));
        Assert.Null(ring.Authenticate("tdm-secret-two"));
    }

    [Fact]
    public void Authenticate_AConfigKey_HasItsTeamAndNoId()
    {
        var ring = Ring(new VirtualKeyTable());

        var key = ring.Authenticate("sk-file-key-1");

        Assert.Equal(("from-file", (string?)null, "platform", (string?)null), (key!.Name, key.Id, key.Team, key.Owner));
    }

    [Fact]
    public void AdminAndApiKeys_AreSeparate()
    {
        var table = new VirtualKeyTable(new FakeTimeProvider(T0));
        table.Load([Key("vk_api", "tdm-api-key-1"), Key("vk_ops", "tdm-ops-key-1", AdminRole.Operator)]);
        var ring = Ring(table, adminEnv: "the-admin-key");

        Assert.Null(ring.AuthenticateAdmin("tdm-api-key-1"));
        Assert.Null(ring.Authenticate("tdm-ops-key-1"));
        Assert.Equal(AdminRole.Operator, ring.AuthenticateAdmin("tdm-ops-key-1")!.Role);
        Assert.False(ring.IsAdmin("tdm-ops-key-1"));
        var admin = ring.AuthenticateAdmin("the-admin-key");
        Assert.Equal(("admin", (AdminRole?)AdminRole.Admin, (string?)null), (admin!.Name, admin.Role, admin.Id));
        Assert.True(ring.IsAdmin("the-admin-key"));
    }

    [Fact]
    public void AnExpiringKey_WorksUntilItsExpiry_AndNotAtIt()
    {
        var time = new FakeTimeProvider(T0);
        var table = new VirtualKeyTable(time);
        table.Load([Key("vk_1", "tdm-expiring-1", expires: T0.AddHours(1))]);
        var ring = Ring(table);

        time.Advance(TimeSpan.FromHours(1) - TimeSpan.FromTicks(1));
        Assert.NotNull(ring.Authenticate("tdm-expiring-1"));
        time.Advance(TimeSpan.FromTicks(1));
        Assert.Null(ring.Authenticate("tdm-expiring-1"));
    }

    [Fact]
    public void Load_LeavesOutRevokedAndExpiredKeys()
    {
        var time = new FakeTimeProvider(T0);
        var table = new VirtualKeyTable(time);

        table.Load([Key("vk_1", "tdm-key-one-1"), Key("vk_2", "tdm-key-two-2") with { RevokedAt = T0 }, Key("vk_3", "tdm-key-three", expires: T0)]);

        Assert.Equal(1, table.Count);
        Assert.NotNull(table.Get("vk_1"));
        Assert.True(table.Loaded);
    }

    [Fact]
    public void Apply_Revocation_IsNotUndoneByAStaleLoad()
    {
        var table = new VirtualKeyTable(new FakeTimeProvider(T0));
        var key = Key("vk_1", "tdm-key-one-1");
        table.Load([key]);
        var ring = Ring(table);

        // A poll begins reading, the revocation commits and is applied, then the poll's read (still listing the key) lands.
        var mark = table.BeginRead();
        table.Apply(key with { RevokedAt = T0 });
        Assert.Null(ring.Authenticate("tdm-key-one-1"));
        table.Load([key], mark);

        Assert.Null(ring.Authenticate("tdm-key-one-1"));
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void Apply_Creation_IsNotDroppedByAStaleLoad_AndALaterLoadIsTakenAsIs()
    {
        var table = new VirtualKeyTable(new FakeTimeProvider(T0));
        table.Load([]);
        var ring = Ring(table);

        var mark = table.BeginRead();
        table.Apply(Key("vk_1", "tdm-key-one-1"));
        table.Load([], mark);
        Assert.Equal("vk_1", ring.Authenticate("tdm-key-one-1")!.Id);

        // A read that began after the creation is the truth (here: the key was revoked elsewhere meanwhile).
        table.Load([]);
        Assert.Null(ring.Authenticate("tdm-key-one-1"));
    }

    [Fact]
    public void Apply_Creation_IsInForceAtOnce_AndSurvivesAConfigReload()
    {
        var table = new VirtualKeyTable(new FakeTimeProvider(T0));
        var before = GatewaySnapshot.Build(ConfigLoader.Parse("""
            auth: { keys: [ { name: a, key: sk-aaaaaaaa } ] }
            providers: [ { name: p, base_url: "http://127.0.0.1:9/v1" } ]
            deployments: [ { name: d, provider: p, model: m } ]
            routes: [ { name: chat, deployment: d } ]
            """), null, new RuntimeServices { VirtualKeys = table });

        table.Apply(Key("vk_1", "tdm-key-one-1"));
        var after = GatewaySnapshot.Build(before.Config, before);

        Assert.Equal("vk_1", before.Keys.Authenticate("tdm-key-one-1")!.Id);
        Assert.Equal("vk_1", after.Keys.Authenticate("tdm-key-one-1")!.Id);
    }

    [Fact]
    public void KeySecrets_Create_MakesATdmKeyWhoseHashIsItsSha256()
    {
        var (secret, hash, display, id) = KeySecrets.Create();
        var (secret2, _, _, id2) = KeySecrets.Create();

        Assert.StartsWith("tdm-", secret, StringComparison.Ordinal);
        Assert.Equal(4 + 43, secret.Length);
        Assert.Matches("^tdm-[A-Za-z0-9_-]{43}$", secret);
        Assert.Equal(Sha(secret), hash);
        Assert.Equal(secret[..8], display);
        Assert.Matches("^vk_[0-9a-f]{16}$", id);
        Assert.NotEqual(secret, secret2);
        Assert.NotEqual(id, id2);
    }
}
