// Tandem in process in an ASP.NET Core app: the IChatClient the app resolves from DI applies the route in tandem.yaml
// (rules, fallback, retries, records) in the app's own process.
//   tandem simulate --urls http://127.0.0.1:9101 &
//   tandem simulate --urls http://127.0.0.1:9102 &
//   dotnet run --project examples/InProcessWeb --urls http://127.0.0.1:5080
//   curl -s http://127.0.0.1:5080/ask -H 'content-type: application/json' -H 'x-tier: free' -d '{"question":"Hello?"}'
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;
using OpenAI;
using Tandem.Extensions.AI;

var builder = WebApplication.CreateBuilder(args);
builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, AppJson.Default));

// Rules and sticky splits may read request headers: Tandem asks for them during the call, on the request's own flow.
var http = new HttpContextAccessor();
builder.Services.AddSingleton<IHttpContextAccessor>(http);

var primaryUrl = new Uri(builder.Configuration["TANDEM_PRIMARY_URL"] ?? "http://127.0.0.1:9101/v1");
var primary = new OpenAIClient(new ApiKeyCredential("sk-unused"), new OpenAIClientOptions { Endpoint = primaryUrl, RetryPolicy = new ClientRetryPolicy(maxRetries: 0) })
    .GetChatClient("gpt-4o-mini")
    .AsIChatClient();

// The registered client disposes with the app: shadow calls drain and records are flushed on shutdown.
builder.Services.AddChatClient(primary).UseTandem(new TandemChatClientOptions
{
    ConfigPath = Path.Combine(AppContext.BaseDirectory, "tandem.yaml"),
    InnerDeployment = "primary",
    Route = "chat",
    Headers = name => http.HttpContext?.Request.Headers[name].ToString() is { Length: > 0 } value ? value : null,
});

var app = builder.Build();

app.MapPost("/ask", async (Question question, IChatClient chat, CancellationToken cancellationToken) =>
{
    try
    {
        // The OpenAI `user` field: what rules, sticky splits and records know the end user by.
        var options = question.User is { } user ? new ChatOptions { AdditionalProperties = new() { ["user"] = user } } : null;
        var answer = await chat.GetResponseAsync(question.Text, options, cancellationToken);
        return Results.Ok(new Answer(answer.Text, answer.ModelId));
    }
    catch (TandemChatException e)
    {
        // No deployment could serve: the status and code a Tandem gateway would have answered.
        return Results.Json(new Failure(e.Code, e.Message), AppJson.Default.Failure, statusCode: e.Status);
    }
});

app.Run();

internal sealed record Question([property: JsonPropertyName("question")] string Text, [property: JsonPropertyName("user")] string? User = null);

internal sealed record Answer([property: JsonPropertyName("answer")] string Text, [property: JsonPropertyName("model")] string? Model);

internal sealed record Failure([property: JsonPropertyName("code")] string Code, [property: JsonPropertyName("message")] string Message);

[JsonSerializable(typeof(Question))]
[JsonSerializable(typeof(Answer))]
[JsonSerializable(typeof(Failure))]
internal sealed partial class AppJson : JsonSerializerContext;
