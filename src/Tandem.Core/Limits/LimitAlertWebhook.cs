using System.Net.Http.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Tandem.Limits;

/// <summary>
/// Posts budget alerts to a webhook from a background loop: the request that crossed a threshold only enqueues (a
/// bounded queue that drops the oldest alert when a dead webhook lets it fill). Each POST is retried with exponential
/// back-off (Polly) on failures and non-success answers.
/// </summary>
public sealed class LimitAlertWebhook : IAsyncDisposable
{
    private readonly Channel<(Uri Url, LimitAlert Alert)> _queue = Channel.CreateBounded<(Uri, LimitAlert)>(
        new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    private readonly HttpClient _http;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>Starts the sending loop.</summary>
    /// <param name="logger">Where failures after the last retry are logged.</param>
    /// <param name="time">The clock of the back-off delays.</param>
    /// <param name="retries">Retries after the first attempt (default 4).</param>
    /// <param name="firstDelay">The first back-off delay (default 1 s; doubled each retry).</param>
    /// <param name="handler">The HTTP handler (tests); null: a plain socket handler.</param>
    public LimitAlertWebhook(ILogger logger, TimeProvider? time = null, int retries = 4, TimeSpan? firstDelay = null, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
        _http = new HttpClient(handler ?? new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(5) }) { Timeout = TimeSpan.FromSeconds(10) };
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time ?? TimeProvider.System };
        _pipeline = builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
        {
            MaxRetryAttempts = retries,
            Delay = firstDelay ?? TimeSpan.FromSeconds(1),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = false,
            ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                .Handle<HttpRequestException>()
                .Handle<TaskCanceledException>()
                .HandleResult(r => !r.IsSuccessStatusCode),
            OnRetry = static args =>
            {
                args.Outcome.Result?.Dispose();
                return ValueTask.CompletedTask;
            },
        }).Build();
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Alerts delivered (a 2xx answer), for tests and diagnostics.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Alerts given up after the last retry.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    private long _delivered;
    private long _failed;

    /// <summary>Queues an alert for <paramref name="url"/>; never blocks.</summary>
    public void Enqueue(Uri url, LimitAlert alert) => _queue.Writer.TryWrite((url, alert));

    private async Task RunAsync()
    {
        try
        {
            await foreach (var (url, alert) in _queue.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                try
                {
                    using var response = await _pipeline.ExecuteAsync(static async (state, ct) =>
                        await state.Http.PostAsync(state.Url, JsonContent.Create(state.Alert, LimitsJsonContext.Default.LimitAlert), ct).ConfigureAwait(false),
                        (Http: _http, Url: url, Alert: alert), _stop.Token).ConfigureAwait(false);
                    if (response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref _delivered);
                    }
                    else
                    {
                        Interlocked.Increment(ref _failed);
                        LimitLog.WebhookFailed(_logger, "HTTP " + (int)response.StatusCode);
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !_stop.IsCancellationRequested)
                {
                    Interlocked.Increment(ref _failed);
                    LimitLog.WebhookFailed(_logger, e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // Alerts already queued get a few seconds to go out; then the loop is stopped.
        _queue.Writer.TryComplete();
        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            await _loop.ConfigureAwait(false);
        }

        _http.Dispose();
        _stop.Dispose();
    }
}
