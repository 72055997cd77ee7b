using System.Text;

namespace Tandem.Providers.Aws;

/// <summary>Where a credential chain looks: the process environment and files, or a test's stand-ins.</summary>
/// <param name="Variable">Reads an environment variable.</param>
/// <param name="HomeDirectory">The user's home, for <c>~/.aws/credentials</c> and <c>~/.aws/config</c>.</param>
/// <param name="Http">The client for container and instance metadata endpoints.</param>
/// <param name="EcsHost">The container agent address relative URIs resolve against (tests move it to loopback).</param>
/// <param name="StsHttp">The client for STS; null: <see cref="AwsMetadataHttp.Internet"/>.</param>
internal sealed record AwsEnvironment(Func<string, string?> Variable, string HomeDirectory, HttpMessageInvoker Http, string EcsHost = AwsContainerCredentials.EcsHost, HttpMessageInvoker? StsHttp = null)
{
    /// <summary>The client for STS.</summary>
    public HttpMessageInvoker Sts => StsHttp ?? AwsMetadataHttp.Internet;

    /// <summary>This process's environment.</summary>
    public static AwsEnvironment Process { get; } = new(
        Environment.GetEnvironmentVariable,
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
        AwsMetadataHttp.Shared);

    public string CredentialsFile(string? configured) =>
        configured ?? (Variable("AWS_SHARED_CREDENTIALS_FILE") is { Length: > 0 } f ? f : Path.Combine(HomeDirectory, ".aws", "credentials"));

    public string ConfigFile(string? configured) =>
        configured ?? (Variable("AWS_CONFIG_FILE") is { Length: > 0 } f ? f : Path.Combine(HomeDirectory, ".aws", "config"));

    public string Profile(string? configured) =>
        configured ?? (Variable("AWS_PROFILE") is { Length: > 0 } p ? p : Variable("AWS_DEFAULT_PROFILE") is { Length: > 0 } d ? d : "default");
}

/// <summary>
/// The standard AWS credential chain, in the order the AWS SDKs use: environment variables
/// (<c>AWS_ACCESS_KEY_ID</c>, <c>AWS_SECRET_ACCESS_KEY</c>, <c>AWS_SESSION_TOKEN</c>), a web identity token
/// (<c>AWS_WEB_IDENTITY_TOKEN_FILE</c> + <c>AWS_ROLE_ARN</c>, EKS service-account roles), the shared profile files,
/// a container credentials endpoint, then the EC2 instance metadata service. The first source that has credentials
/// is kept for later calls, as the SDKs do, so a missing variable is not looked up again on every request.
/// </summary>
internal sealed class AwsCredentialChain : IAwsCredentialsProvider
{
    private readonly IReadOnlyList<(string Name, Func<IAwsCredentialsProvider?> Source)> _sources;
    private volatile IAwsCredentialsProvider? _chosen;

    public AwsCredentialChain(IReadOnlyList<(string Name, Func<IAwsCredentialsProvider?> Source)> sources) => _sources = sources;

    /// <summary>The standard chain over <paramref name="environment"/>.</summary>
    public static AwsCredentialChain Standard(AwsEnvironment environment, string? profile = null, string? credentialsFile = null, string? configFile = null) => new(
    [
        ("environment", () => Environment(environment.Variable)),
        ("web identity", () => AwsWebIdentityCredentials.FromEnvironment(environment.Variable, environment.Sts)),
        ("profile", () => SharedFiles(environment, profile, credentialsFile, configFile) is { } files && files.Defines() ? files : null),
        ("container", () => AwsContainerCredentials.FromEnvironment(environment.Variable, environment.Http, environment.EcsHost)),
        ("instance", () => AwsInstanceCredentials.FromEnvironment(environment.Variable, environment.Http)),
    ]);

    /// <summary>Static credentials from the standard environment variables, or null when they are not set.</summary>
    public static IAwsCredentialsProvider? Environment(Func<string, string?> env)
    {
        var id = env("AWS_ACCESS_KEY_ID") is { Length: > 0 } i ? i : env("AWS_ACCESS_KEY");
        var secret = env("AWS_SECRET_ACCESS_KEY") is { Length: > 0 } s ? s : env("AWS_SECRET_KEY");
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(secret))
        {
            return null;
        }

        var token = env("AWS_SESSION_TOKEN");
        DateTimeOffset? expiration = env("AWS_CREDENTIAL_EXPIRATION") is { Length: > 0 } exp
            && DateTimeOffset.TryParse(exp, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var e) ? e : null;
        return new StaticAwsCredentials(new AwsCredentials(id, secret, string.IsNullOrEmpty(token) ? null : token, expiration));
    }

    public static AwsSharedFileCredentials SharedFiles(AwsEnvironment environment, string? profile, string? credentialsFile, string? configFile) =>
        new(environment.Profile(profile), environment.CredentialsFile(credentialsFile), environment.ConfigFile(configFile));

    public async ValueTask<AwsCredentials> GetAsync(CancellationToken cancellationToken = default)
    {
        if (_chosen is { } chosen)
        {
            return await chosen.GetAsync(cancellationToken).ConfigureAwait(false);
        }

        var tried = new StringBuilder();
        foreach (var (name, factory) in _sources)
        {
            IAwsCredentialsProvider? source;
            try
            {
                source = factory();
            }
            catch (AwsCredentialsException e)
            {
                tried.Append("; ").Append(name).Append(": ").Append(e.Message);
                continue;
            }

            if (source is null)
            {
                tried.Append("; ").Append(name).Append(": not configured");
                continue;
            }

            try
            {
                var credentials = await source.GetAsync(cancellationToken).ConfigureAwait(false);
                _chosen = source;
                return credentials;
            }
            catch (AwsCredentialsException e)
            {
                tried.Append("; ").Append(name).Append(": ").Append(e.Message);
            }
        }

        throw new AwsCredentialsException("no AWS credentials found" + tried);
    }
}

/// <summary>
/// Keeps the credentials of another provider and fetches new ones shortly before they expire (by default five
/// minutes), one fetch at a time however many requests wait. When a refresh fails while the old credentials still
/// work, they are used until they expire, and the next attempt waits <see cref="RetryDelay"/> so that a failing
/// endpoint does not hold every request up.
/// </summary>
internal sealed class RefreshingAwsCredentials : IAwsCredentialsProvider, IDisposable
{
    private readonly IAwsCredentialsProvider _inner;
    private readonly TimeProvider _time;
    private readonly TimeSpan _refreshBefore;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile AwsCredentials? _current;
    private long _holdUntilTicks;

    public static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(30);

    public RefreshingAwsCredentials(IAwsCredentialsProvider inner, TimeProvider time, TimeSpan refreshBefore)
    {
        _inner = inner;
        _time = time;
        _refreshBefore = refreshBefore;
    }

    public ValueTask<AwsCredentials> GetAsync(CancellationToken cancellationToken = default)
    {
        var current = _current;
        return current is not null && Fresh(current) ? ValueTask.FromResult(current) : RefreshAsync(cancellationToken);
    }

    private bool Fresh(AwsCredentials credentials)
    {
        if (credentials.Expiration is not { } expiration)
        {
            return true;
        }

        var now = _time.GetUtcNow();
        return now < expiration - _refreshBefore || (now.UtcTicks < Volatile.Read(ref _holdUntilTicks) && now < expiration);
    }

    private async ValueTask<AwsCredentials> RefreshAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = _current;
            if (current is not null && Fresh(current))
            {
                return current;
            }

            try
            {
                var fresh = await _inner.GetAsync(cancellationToken).ConfigureAwait(false);
                _current = fresh;
                return fresh;
            }
            catch (AwsCredentialsException) when (current?.Expiration is { } expiration && _time.GetUtcNow() < expiration)
            {
                Volatile.Write(ref _holdUntilTicks, (_time.GetUtcNow() + RetryDelay).UtcTicks);
                return current;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}
