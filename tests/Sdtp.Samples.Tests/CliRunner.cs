using Sdtp.Samples.TinyLlama.Commands;

namespace Sdtp.Samples.Tests;

/// <summary>Runs the sdtp command line in process with its error stream captured (tests in <see cref="ConsoleRedirect"/> only).</summary>
internal static class CliRunner
{
    /// <summary>The exit code and what went to stderr.</summary>
    public static (int Code, string Error) Run(params string[] args)
    {
        var saved = Console.Error;
        var error = new StringWriter();
        Console.SetError(error);
        try
        {
            return (CommandLineErrors.Run(Cli.CreateRoot(), args), error.ToString());
        }
        finally
        {
            Console.SetError(saved);
        }
    }

    /// <summary>Runs with <c>--verbose</c> and fails the test, with the stack, unless the command exits 0.</summary>
    public static void Succeeds(params string[] args)
    {
        var (code, error) = Run([.. args, "--verbose"]);
        Assert.True(code == 0, $"{string.Join(' ', args)}: exit {code}: {error}");
    }
}
