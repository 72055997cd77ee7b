namespace Tandem.Providers.Aws;

/// <summary>
/// One set of AWS credentials: a long-term access key, or temporary credentials (with a session token and an
/// expiry) from STS, a container role or an instance role.
/// </summary>
/// <param name="AccessKeyId">The access key id (<c>AKIA…</c> long-term, <c>ASIA…</c> temporary).</param>
/// <param name="SecretAccessKey">The secret key. Never logged.</param>
/// <param name="SessionToken">The session token of temporary credentials; null for long-term keys.</param>
/// <param name="Expiration">When temporary credentials stop working; null when they do not expire.</param>
public sealed record AwsCredentials(string AccessKeyId, string SecretAccessKey, string? SessionToken = null, DateTimeOffset? Expiration = null)
{
    /// <summary>Hides the secret and the token: records print in logs and test failures.</summary>
    public override string ToString() => $"AwsCredentials {{ AccessKeyId = {AccessKeyId}, Expiration = {Expiration?.ToString("O", System.Globalization.CultureInfo.InvariantCulture) ?? "none"} }}";
}

/// <summary>Where signing credentials come from (a fixed key, the standard chain, a role endpoint…).</summary>
public interface IAwsCredentialsProvider
{
    /// <summary>
    /// Returns credentials valid now. A provider of temporary credentials refreshes them before they expire.
    /// </summary>
    /// <exception cref="AwsCredentialsException">No credentials could be found or fetched.</exception>
    ValueTask<AwsCredentials> GetAsync(CancellationToken cancellationToken = default);
}

/// <summary>No credentials could be found or fetched; the message says where Tandem looked.</summary>
/// <remarks>
/// An <see cref="HttpRequestException"/>: a call that cannot be signed fails like a call that cannot reach its
/// upstream, so the seam answers 502 and lets another deployment serve, instead of failing the request outright.
/// </remarks>
public sealed class AwsCredentialsException : HttpRequestException
{
    /// <summary>Creates the exception.</summary>
    public AwsCredentialsException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public AwsCredentialsException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>Credentials given once (a test, or a key read from configuration).</summary>
public sealed class StaticAwsCredentials(AwsCredentials credentials) : IAwsCredentialsProvider
{
    /// <inheritdoc />
    public ValueTask<AwsCredentials> GetAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(credentials);
}
