using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Tandem.Providers.Aws;
using Xunit;

namespace Tandem.Core.Tests.Providers.Aws;

/// <summary>
/// The credential chain with test environments (never the process's), temporary files, and a real Kestrel standing
/// in for the container credentials endpoint and the instance metadata service.
/// </summary>
public sealed class AwsCredentialChainTests
{
    // The shape of STS's AssumeRoleWithWebIdentity answer, as documented in the STS API reference.
    private const string StsResponse = """
        <AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
          <AssumeRoleWithWebIdentityResult>
            <SubjectFromWebIdentityToken>system:serviceaccount:ns:tandem</SubjectFromWebIdentityToken>
            <Credentials>
              <SessionToken>sts-token</SessionToken>
              <SecretAccessKey>sts-secret</SecretAccessKey>
              <Expiration>2030-01-01T13:00:00Z</Expiration>
              <AccessKeyId>ASIASTS</AccessKeyId>
            </Credentials>
          </AssumeRoleWithWebIdentityResult>
          <ResponseMetadata><RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId></ResponseMetadata>
        </AssumeRoleWithWebIdentityResponse>
        """;

    private const string RoleDocument = """{"AccessKeyId":"ASIAROLE","SecretAccessKey":"role-secret","Token":"role-token","Expiration":"2030-01-01T12:00:00Z","RoleArn":"arn:aws:iam::1:role/r"}""";

    [Fact]
    public async Task Environment_ReadsKeySecretAndSessionToken()
    {
        using var home = new TempDir();
        var chain = AwsCredentialChain.Standard(Env(home, ("AWS_ACCESS_KEY_ID", "AKIAENV"), ("AWS_SECRET_ACCESS_KEY", "env-secret"), ("AWS_SESSION_TOKEN", "env-token")));

        var credentials = await chain.GetAsync(Ct);

        Assert.Equal(new AwsCredentials("AKIAENV", "env-secret", "env-token"), credentials);
    }

    [Fact]
    public async Task Profile_FromAwsProfile_CredentialsFileWinsOverConfigFile()
    {
        using var home = new TempDir();
        Directory.CreateDirectory(Path.Combine(home.Path, ".aws"));
        await File.WriteAllTextAsync(Path.Combine(home.Path, ".aws", "credentials"), """
            [default]
            aws_access_key_id = AKIADEFAULT
            aws_secret_access_key = default-secret

            [work]
            aws_access_key_id = AKIAWORK
            aws_secret_access_key = work#secret   ; a comment
            """, Ct);
        await File.WriteAllTextAsync(Path.Combine(home.Path, ".aws", "config"), """
            [profile work]
            region = eu-west-1
            aws_access_key_id = AKIAIGNORED
            aws_session_token = work-token
            s3 =
              max_concurrent_requests = 20
            """, Ct);
        var env = Env(home, ("AWS_PROFILE", "work"));

        var credentials = await AwsCredentialChain.Standard(env).GetAsync(Ct);

        Assert.Equal(new AwsCredentials("AKIAWORK", "work#secret", "work-token"), credentials);
        Assert.Equal("eu-west-1", AwsCredentialChain.SharedFiles(env, null, null, null).Region());
    }

    [Fact]
    public async Task Profile_FilesNamedByVariables_AndARoleProfileIsExplained()
    {
        using var dir = new TempDir();
        await File.WriteAllTextAsync(dir.File("creds"), "[assumed]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = default\n", Ct);
        var env = Env(dir, ("AWS_SHARED_CREDENTIALS_FILE", dir.File("creds")), ("AWS_CONFIG_FILE", dir.File("none")));

        var e = await Assert.ThrowsAsync<AwsCredentialsException>(() => AwsCredentialChain.SharedFiles(env, "assumed", null, null).GetAsync(Ct).AsTask());

        Assert.StartsWith("AWS profile 'assumed' uses role_arn, which Tandem does not support", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Container_FullUriWithTokenFile_SendsTheTokenAndReadsTheRole()
    {
        await using var endpoint = await MetadataEndpoint.StartAsync();
        using var dir = new TempDir();
        await File.WriteAllTextAsync(dir.File("token"), "pod-identity-token\n", Ct);
        var env = Env(dir,
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.Url + "/v2/credentials"),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", dir.File("token")),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored-when-the-file-is-set"));

        var credentials = await AwsCredentialChain.Standard(env).GetAsync(Ct);

        Assert.Equal(new AwsCredentials("ASIAROLE", "role-secret", "role-token", new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero)), credentials);
        Assert.Equal(["GET /v2/credentials authorization=pod-identity-token"], endpoint.Calls);
    }

    [Fact]
    public async Task Container_RelativeUri_ResolvesAgainstTheAgentAddress()
    {
        await using var endpoint = await MetadataEndpoint.StartAsync();
        using var dir = new TempDir();
        var env = Env(dir, ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/task-1"), ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ecs-token")) with { EcsHost = endpoint.Url };

        var credentials = await AwsCredentialChain.Standard(env).GetAsync(Ct);

        Assert.Equal("ASIAROLE", credentials.AccessKeyId);
        Assert.Equal(["GET /v2/credentials/task-1 authorization=ecs-token"], endpoint.Calls);
    }

    [Theory]
    [InlineData("http://example.com/creds")]
    [InlineData("ftp://127.0.0.1/creds")]
    public async Task Container_FullUriToAnotherHostOverHttp_IsRefused(string uri)
    {
        using var dir = new TempDir();
        var env = Env(dir, ("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri), ("AWS_EC2_METADATA_DISABLED", "true"));

        var e = await Assert.ThrowsAsync<AwsCredentialsException>(() => AwsCredentialChain.Standard(env).GetAsync(Ct).AsTask());

        Assert.Contains($"container: AWS_CONTAINER_CREDENTIALS_FULL_URI '{uri}' must be https", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Instance_UsesImdsV2_TokenThenRoleThenCredentials()
    {
        await using var endpoint = await MetadataEndpoint.StartAsync();
        using var dir = new TempDir();
        var env = Env(dir, ("AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint.Url));

        var credentials = await AwsCredentialChain.Standard(env).GetAsync(Ct);

        Assert.Equal("ASIAROLE", credentials.AccessKeyId);
        Assert.Equal(
        [
            "PUT /latest/api/token ttl=21600",
            "GET /latest/meta-data/iam/security-credentials/ token=imds-session",
            "GET /latest/meta-data/iam/security-credentials/web-role token=imds-session",
        ], endpoint.Calls);
    }

    [Fact]
    public async Task WebIdentity_ExchangesTheTokenFileAtSts_ForTheRole()
    {
        await using var endpoint = await MetadataEndpoint.StartAsync();
        using var dir = new TempDir();
        await File.WriteAllTextAsync(dir.File("token"), "eyJ.projected.token\n", Ct);
        var env = Env(dir,
            ("AWS_WEB_IDENTITY_TOKEN_FILE", dir.File("token")),
            ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/tandem"),
            ("AWS_ROLE_SESSION_NAME", "pod-7"),
            ("AWS_ENDPOINT_URL_STS", endpoint.Url));

        var credentials = await AwsCredentialChain.Standard(env).GetAsync(Ct);

        Assert.Equal(new AwsCredentials("ASIASTS", "sts-secret", "sts-token", new DateTimeOffset(2030, 1, 1, 13, 0, 0, TimeSpan.Zero)), credentials);
        Assert.Equal(["POST / Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Ftandem&RoleSessionName=pod-7&WebIdentityToken=eyJ.projected.token"], endpoint.Calls);
    }

    [Fact]
    public async Task WebIdentity_WithoutRoleArn_IsExplained()
    {
        using var dir = new TempDir();
        var env = Env(dir, ("AWS_WEB_IDENTITY_TOKEN_FILE", dir.File("token")), ("AWS_EC2_METADATA_DISABLED", "true"));

        var e = await Assert.ThrowsAsync<AwsCredentialsException>(() => AwsCredentialChain.Standard(env).GetAsync(Ct).AsTask());

        Assert.Contains("web identity: AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chain_EnvironmentWinsOverProfile_AndTheWinnerIsKept()
    {
        using var home = new TempDir();
        Directory.CreateDirectory(Path.Combine(home.Path, ".aws"));
        await File.WriteAllTextAsync(Path.Combine(home.Path, ".aws", "credentials"), "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = s\n", Ct);
        var variables = new Dictionary<string, string?> { ["AWS_ACCESS_KEY_ID"] = "AKIAENV", ["AWS_SECRET_ACCESS_KEY"] = "e" };
        var chain = AwsCredentialChain.Standard(new AwsEnvironment(n => variables.GetValueOrDefault(n), home.Path, AwsMetadataHttp.Shared));

        Assert.Equal("AKIAENV", (await chain.GetAsync(Ct)).AccessKeyId);
        variables.Clear();
        Assert.Equal("AKIAENV", (await chain.GetAsync(Ct)).AccessKeyId);
    }

    [Fact]
    public async Task Chain_NothingFound_SaysWhereItLooked()
    {
        using var home = new TempDir();
        var chain = AwsCredentialChain.Standard(Env(home, ("AWS_EC2_METADATA_DISABLED", "true")));

        var e = await Assert.ThrowsAsync<AwsCredentialsException>(() => chain.GetAsync(Ct).AsTask());

        Assert.Equal("no AWS credentials found; environment: not configured; web identity: not configured; profile: not configured; container: not configured; instance: not configured", e.Message);
        Assert.IsAssignableFrom<HttpRequestException>(e);
    }

    [Fact]
    public async Task Refreshing_FetchesAgainFiveMinutesBeforeExpiry_AndKeepsValidCredentialsWhenARefreshFails()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 11, 0, 0, TimeSpan.Zero));
        var source = new ScriptedSource(time);
        using var refreshing = new RefreshingAwsCredentials(source, time, TimeSpan.FromMinutes(5));

        Assert.Equal("key-1", (await refreshing.GetAsync(Ct)).AccessKeyId);
        time.Advance(TimeSpan.FromMinutes(54));
        Assert.Equal("key-1", (await refreshing.GetAsync(Ct)).AccessKeyId);
        Assert.Equal(1, source.Fetches);

        time.Advance(TimeSpan.FromMinutes(2)); // 11:56, within five minutes of the 12:00 expiry
        Assert.Equal("key-2", (await refreshing.GetAsync(Ct)).AccessKeyId);
        Assert.Equal(2, source.Fetches);

        source.Failing = true;
        time.Advance(TimeSpan.FromMinutes(57)); // 12:53: key-2 expires at 12:56, the refresh fails, key-2 still works
        Assert.Equal("key-2", (await refreshing.GetAsync(Ct)).AccessKeyId);
        Assert.Equal("key-2", (await refreshing.GetAsync(Ct)).AccessKeyId);
        Assert.Equal(3, source.Fetches); // the second call did not try again within the retry delay

        time.Advance(TimeSpan.FromMinutes(4)); // 12:57: expired, and the source still fails
        await Assert.ThrowsAsync<AwsCredentialsException>(() => refreshing.GetAsync(Ct).AsTask());
    }

    private static AwsEnvironment Env(TempDir home, params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value);
        return new AwsEnvironment(n => map.GetValueOrDefault(n), home.Path, AwsMetadataHttp.Shared);
    }

    /// <summary>Credentials that expire an hour after they are fetched (key-1, key-2…), or a failure.</summary>
    private sealed class ScriptedSource(TimeProvider time) : IAwsCredentialsProvider
    {
        public int Fetches { get; private set; }

        public bool Failing { get; set; }

        public ValueTask<AwsCredentials> GetAsync(CancellationToken cancellationToken = default)
        {
            Fetches++;
            if (Failing)
            {
                throw new AwsCredentialsException("the endpoint is down");
            }

            return ValueTask.FromResult(new AwsCredentials("key-" + Fetches, "s", "t", time.GetUtcNow().AddHours(1)));
        }
    }

    /// <summary>A container credentials endpoint and an IMDSv2 service on loopback, recording the calls it gets.</summary>
    private sealed class MetadataEndpoint : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private MetadataEndpoint(WebApplication app) => _app = app;

        public string Url { get; private set; } = "";

        public List<string> Calls { get; } = [];

        public static async Task<MetadataEndpoint> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var endpoint = new MetadataEndpoint(app);
            app.MapGet("/v2/credentials/{**rest}", (HttpContext ctx) =>
            {
                endpoint.Record($"GET {ctx.Request.Path} authorization={ctx.Request.Headers.Authorization}");
                return Results.Text(RoleDocument, "application/json");
            });
            app.MapPost("/", async (HttpContext ctx) =>
            {
                using var reader = new StreamReader(ctx.Request.Body);
                endpoint.Record($"POST / {await reader.ReadToEndAsync()}");
                return Results.Text(StsResponse, "text/xml");
            });
            app.MapPut("/latest/api/token", (HttpContext ctx) =>
            {
                endpoint.Record($"PUT {ctx.Request.Path} ttl={ctx.Request.Headers["X-aws-ec2-metadata-token-ttl-seconds"]}");
                return Results.Text("imds-session");
            });
            app.MapGet("/latest/meta-data/iam/security-credentials/{role?}", (HttpContext ctx, string? role) =>
            {
                var token = ctx.Request.Headers["X-aws-ec2-metadata-token"].ToString();
                endpoint.Record($"GET {ctx.Request.Path} token={token}");
                return token != "imds-session" ? Results.StatusCode(401) : Results.Text(role is null ? "web-role\n" : RoleDocument);
            });
            await app.StartAsync();
            endpoint.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
            return endpoint;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        private void Record(string call)
        {
            lock (Calls)
            {
                Calls.Add(call);
            }
        }
    }
}
