using System.Text;

namespace Tandem.Quality;

/// <summary>
/// Tandem's own judge prompts. The section markers (<c>[Answer to grade]</c>, <c>[Answer A]</c>…) are stable so that
/// tests and simulators can recognise the parts; change them only together with <c>SimulatorOptions.JudgeScript</c> users.
/// </summary>
public static class JudgePrompts
{
    /// <summary>The rubric used when none is configured.</summary>
    public const string DefaultRubric =
        "A good answer is correct, directly addresses the user's last request, follows its instructions and constraints, " +
        "and is clear and concise. Penalise factual errors, invented details, refusals of reasonable requests and padding.";

    /// <summary>Marker of the answer in a single-score prompt.</summary>
    public const string AnswerMarker = "[Answer to grade]";

    /// <summary>Marker of answer A in a pairwise prompt.</summary>
    public const string AnswerAMarker = "[Answer A]";

    /// <summary>Marker of answer B in a pairwise prompt.</summary>
    public const string AnswerBMarker = "[Answer B]";

    /// <summary>The system and user messages asking for one 1–5 score.</summary>
    public static IReadOnlyList<ChatTurn> Single(JudgeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var system = new StringBuilder()
            .Append("You are Tandem's answer judge. Grade the assistant's answer to the conversation below on a scale of 1 to 5 ")
            .Append("(1 = wrong or useless, 2 = poor, 3 = acceptable, 4 = good, 5 = excellent), using the rubric. ");
        if (request.Reference is not null)
        {
            system.Append("A reference answer is provided: judge correctness against it; an answer may differ in wording but not in substance. ");
        }

        system.Append("Do not let the answer's length or position influence you. ")
            .Append("Reply with only a JSON object: {\"score\": <integer 1-5>, \"reasons\": \"<one or two sentences>\"}.");

        var user = new StringBuilder();
        user.Append("[Rubric]\n").Append(request.Rubric ?? DefaultRubric).Append("\n\n");
        AppendConversation(user, request.Conversation);
        if (request.Reference is not null)
        {
            user.Append("[Reference answer]\n").Append(request.Reference).Append("\n\n");
        }

        user.Append(AnswerMarker).Append('\n').Append(request.Answer).Append('\n');
        return [new ChatTurn("system", system.ToString()), new ChatTurn("user", user.ToString())];
    }

    /// <summary>The system and user messages asking which of two answers is better, with <paramref name="a"/> shown first.</summary>
    public static IReadOnlyList<ChatTurn> Pairwise(PairwiseRequest request, string a, string b)
    {
        ArgumentNullException.ThrowIfNull(request);
        var system = new StringBuilder()
            .Append("You are Tandem's answer judge. Compare two assistant answers to the same conversation using the rubric and decide which is better. ");
        if (request.Reference is not null)
        {
            system.Append("A reference answer is provided: prefer the answer that agrees with it in substance. ");
        }

        system.Append("The order of the answers is arbitrary and must not influence you; neither must their length. ")
            .Append("Reply with only a JSON object: {\"winner\": \"A\" | \"B\" | \"tie\", \"reasons\": \"<one or two sentences>\"}.");

        var user = new StringBuilder();
        user.Append("[Rubric]\n").Append(request.Rubric ?? DefaultRubric).Append("\n\n");
        AppendConversation(user, request.Conversation);
        if (request.Reference is not null)
        {
            user.Append("[Reference answer]\n").Append(request.Reference).Append("\n\n");
        }

        user.Append(AnswerAMarker).Append('\n').Append(a).Append("\n\n");
        user.Append(AnswerBMarker).Append('\n').Append(b).Append('\n');
        return [new ChatTurn("system", system.ToString()), new ChatTurn("user", user.ToString())];
    }

    private static void AppendConversation(StringBuilder sb, IReadOnlyList<ChatTurn> conversation)
    {
        sb.Append("[Conversation]\n");
        foreach (var turn in conversation)
        {
            sb.Append(turn.Role).Append(": ").Append(turn.Content).Append('\n');
        }

        sb.Append('\n');
    }
}
