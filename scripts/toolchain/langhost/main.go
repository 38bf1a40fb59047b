// Command pulumi-language-python is edgefed's own Pulumi language host for Python.
//
// Why it exists: upstream's host lives in its own Go module that is never tagged, and the Go module
// proxy we can reach does not serve any pseudo-version of it. The engine only needs the LanguageRuntime
// gRPC service, so this host implements the part of it that `pulumi preview/up/destroy` and Python
// policy packs use, and runs programs through the `pulumi-language-python-exec` script that ships in
// the pulumi sdk/v3 module (copied next to this binary by scripts/bootstrap).
//
// Python is chosen in this order: the `virtualenv` runtime option (relative to the project or pack
// root), then $PULUMI_PYTHON_CMD, then python3 on PATH.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// version is set with -ldflags at build time to the Pulumi release the host is built against.
var version = "3.0.0-dev"

// userActionableExit is the exit code the exec script uses after printing an error meant for the user.
const userActionableExit = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
	execScript    string
}

func main() {
	var positional []string
	for _, arg := range os.Args[1:] {
		// The engine passes flags (-root=..., -tracing=...) and the engine address; only the address matters.
		if !strings.HasPrefix(arg, "-") {
			positional = append(positional, arg)
		}
	}
	self, err := os.Executable()
	if err != nil {
		fatal("cannot locate own binary: %v", err)
	}
	h := &host{execScript: filepath.Join(filepath.Dir(self), "pulumi-language-python-exec")}
	if len(positional) > 0 {
		h.engineAddress = positional[0]
	}
	if _, err := os.Stat(h.execScript); err != nil {
		fatal("missing executor %s (scripts/bootstrap copies it next to this binary): %v", h.execScript, err)
	}

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatal("cannot listen on loopback: %v", err)
	}
	server := grpc.NewServer(grpc.MaxRecvMsgSize(400 * 1024 * 1024))
	pulumirpc.RegisterLanguageRuntimeServer(server, h)
	fmt.Printf("%d\n", listener.Addr().(*net.TCPAddr).Port)

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-signals
		server.GracefulStop()
	}()
	if err := server.Serve(listener); err != nil {
		fatal("language host stopped serving: %v", err)
	}
}

// stopGrace is how long a Python child has after SIGTERM before it is killed.
const stopGrace = 10 * time.Second

// ownGroup starts a Python child (a program, a policy pack) in a process group of its own, which dies
// with this host. The engine stops a plugin by sending SIGINT to the plugin's whole process group: a
// Python child in that group would get a KeyboardInterrupt, often while the interpreter shuts down its
// threads or logging, and print an unrelated traceback after a correct result (a preview the policy
// pack refused looked like a crash). This host stops its children itself, with SIGTERM (stop).
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

// stop sends SIGTERM to a child's process group: Python's default action ends it at once, silently.
func stop(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
}

func fatal(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pulumi-language-python (edgefed): "+format+"\n", args...)
	os.Exit(1)
}

// python returns the interpreter for a program rooted at root with the given runtime options, and the
// virtualenv it belongs to ("" when none).
func python(root string, options map[string]any) (string, string, error) {
	if venv, _ := options["virtualenv"].(string); venv != "" {
		if !filepath.IsAbs(venv) {
			venv = filepath.Join(root, venv)
		}
		interpreter := filepath.Join(venv, "bin", "python")
		if _, err := os.Stat(interpreter); err != nil {
			return "", "", fmt.Errorf("the virtualenv %q named in the project file does not exist; "+
				"run `make venv` (or scripts/setup-venv) to create it", venv)
		}
		return interpreter, venv, nil
	}
	if cmd := os.Getenv("PULUMI_PYTHON_CMD"); cmd != "" {
		return cmd, "", nil
	}
	interpreter, err := exec.LookPath("python3")
	if err != nil {
		return "", "", errors.New("no python3 on PATH and no virtualenv configured")
	}
	return interpreter, "", nil
}

func programInfo(info *pulumirpc.ProgramInfo) (root string, program string, options map[string]any) {
	if info == nil {
		return "", "", map[string]any{}
	}
	options = info.GetOptions().AsMap()
	root = info.GetRootDirectory()
	program = info.GetProgramDirectory()
	if entry := info.GetEntryPoint(); entry != "" && entry != "." {
		program = filepath.Join(program, entry)
	}
	return root, program, options
}

// environment returns the process environment with the virtualenv activated.
func environment(venv string, extra ...string) []string {
	env := os.Environ()
	if venv != "" {
		env = append(env,
			"VIRTUAL_ENV="+venv,
			"PULUMI_RUNTIME_VIRTUALENV="+venv,
			"PATH="+filepath.Join(venv, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	}
	env = append(env, "PYTHONUNBUFFERED=1")
	return append(env, extra...)
}

func (h *host) Handshake(_ context.Context, _ *pulumirpc.LanguageHandshakeRequest) (
	*pulumirpc.LanguageHandshakeResponse, error,
) {
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// pluginManifest is the pulumi-plugin.json that provider SDK wheels ship.
type pluginManifest struct {
	Resource bool   `json:"resource"`
	Name     string `json:"name"`
	Version  string `json:"version"`
	Server   string `json:"server"`
}

// requiredPackages lists the resource plugins of the provider SDKs installed in the virtualenv, so that
// the engine checks for them before the program starts instead of failing halfway.
func requiredPackages(info *pulumirpc.ProgramInfo) ([]*pulumirpc.PackageDependency, error) {
	root, _, options := programInfo(info)
	_, venv, err := python(root, options)
	if err != nil || venv == "" {
		return nil, err
	}
	manifests, _ := filepath.Glob(filepath.Join(venv, "lib", "python*", "site-packages", "*", "pulumi-plugin.json"))
	sort.Strings(manifests)
	var deps []*pulumirpc.PackageDependency
	for _, path := range manifests {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var manifest pluginManifest
		if err := json.Unmarshal(data, &manifest); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if !manifest.Resource || manifest.Name == "" {
			continue
		}
		deps = append(deps, &pulumirpc.PackageDependency{
			Kind: "resource", Name: manifest.Name, Version: manifest.Version, Server: manifest.Server,
		})
	}
	return deps, nil
}

func (h *host) GetRequiredPlugins(_ context.Context, req *pulumirpc.GetRequiredPluginsRequest) (
	*pulumirpc.GetRequiredPluginsResponse, error,
) {
	deps, err := requiredPackages(req.GetInfo())
	plugins := make([]*pulumirpc.PluginDependency, 0, len(deps))
	for _, dep := range deps {
		plugins = append(plugins, &pulumirpc.PluginDependency{
			Name: dep.GetName(), Kind: dep.GetKind(), Version: dep.GetVersion(), Server: dep.GetServer(),
		})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, err
}

func (h *host) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest) (
	*pulumirpc.GetRequiredPackagesResponse, error,
) {
	deps, err := requiredPackages(req.GetInfo())
	return &pulumirpc.GetRequiredPackagesResponse{Packages: deps}, err
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	root, program, options := programInfo(req.GetInfo())
	if program == "" {
		program = req.GetProgram()
	}
	if program == "" {
		program = "."
	}
	interpreter, venv, err := python(root, options)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	config, secretKeys, err := configEnv(req.GetConfig(), req.GetConfigSecretKeys())
	if err != nil {
		return nil, err
	}
	args := []string{"-u", h.execScript}
	add := func(flag, value string) {
		if value != "" {
			args = append(args, "--"+flag, value)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engineAddress)
	add("project", req.GetProject())
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	add("dry_run", strconv.FormatBool(req.GetDryRun()))
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	add("organization", req.GetOrganization())
	add("root_directory", root)
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	cmd := exec.CommandContext(ctx, interpreter, args...)
	cmd.Dir = req.GetPwd()
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.Env = environment(venv, config, secretKeys)
	ownGroup(cmd)
	// The engine cancelled the run (a refused preview, Ctrl-C): stop the program the way it expects.
	cmd.Cancel = func() error { return stop(cmd) }
	cmd.WaitDelay = stopGrace
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if exitErr.ExitCode() == userActionableExit {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode()),
			}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run %s: %v", interpreter, err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// RunPlugin runs a plugin written in Python, such as a policy pack: `python -u <dir>` runs its __main__.py.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, stream pulumirpc.LanguageRuntime_RunPluginServer) error {
	root, program, options := programInfo(req.GetInfo())
	if program == "" {
		program = req.GetProgram()
	}
	if root == "" {
		root = program
	}
	interpreter, venv, err := python(root, options)
	if err != nil {
		return err
	}
	cmd := exec.Command(interpreter, append([]string{"-u", program}, req.GetArgs()...)...)
	cmd.Dir = req.GetPwd()
	cmd.Env = environment(venv, req.GetEnv()...)
	ownGroup(cmd)
	cmd.WaitDelay = stopGrace
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("could not start %s: %w", interpreter, err)
	}
	// When the engine is done with the plugin it closes the stream: stop the process then.
	go func() {
		<-stream.Context().Done()
		_ = stop(cmd)
	}()
	var send sync.Mutex
	var copying sync.WaitGroup
	forward := func(reader io.Reader, wrap func([]byte) *pulumirpc.RunPluginResponse) {
		defer copying.Done()
		buffered := bufio.NewReader(reader)
		chunk := make([]byte, 32*1024)
		for {
			n, err := buffered.Read(chunk)
			if n > 0 {
				data := append([]byte(nil), chunk[:n]...)
				send.Lock()
				_ = stream.Send(wrap(data))
				send.Unlock()
			}
			if err != nil {
				return
			}
		}
	}
	copying.Add(2)
	go forward(stdout, func(b []byte) *pulumirpc.RunPluginResponse {
		return &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}}
	})
	go forward(stderr, func(b []byte) *pulumirpc.RunPluginResponse {
		return &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}}
	})
	copying.Wait()
	code := 0
	if err := cmd.Wait(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return err
		}
		code = exitErr.ExitCode()
	}
	send.Lock()
	defer send.Unlock()
	return stream.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(code)}})
}

func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	stream pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	root, _, options := programInfo(req.GetInfo())
	interpreter, _, err := python(root, options)
	if err != nil {
		return err
	}
	// edgefed's scripts own the virtualenvs (pinned versions); report what is there instead of installing.
	return stream.Send(&pulumirpc.InstallDependenciesResponse{
		Stdout: []byte("dependencies are managed by scripts/setup-venv; using " + interpreter + "\n"),
	})
}

func (h *host) About(_ context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	root, _, options := programInfo(req.GetInfo())
	interpreter, _, err := python(root, options)
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(interpreter, "-c", "import platform; print(platform.python_version())").Output()
	if err != nil {
		return nil, fmt.Errorf("cannot run %s: %w", interpreter, err)
	}
	return &pulumirpc.AboutResponse{Executable: interpreter, Version: strings.TrimSpace(string(out))}, nil
}

func (h *host) GetProgramDependencies(_ context.Context, req *pulumirpc.GetProgramDependenciesRequest) (
	*pulumirpc.GetProgramDependenciesResponse, error,
) {
	root, _, options := programInfo(req.GetInfo())
	interpreter, _, err := python(root, options)
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(interpreter, "-m", "pip", "list", "--format=json", "--disable-pip-version-check").Output()
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "pip list failed: %v", err)
	}
	var listed []struct{ Name, Version string }
	if err := json.Unmarshal(out, &listed); err != nil {
		return nil, err
	}
	deps := make([]*pulumirpc.DependencyInfo, 0, len(listed))
	for _, dep := range listed {
		deps = append(deps, &pulumirpc.DependencyInfo{Name: dep.Name, Version: dep.Version})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

func (h *host) RuntimeOptionsPrompts(context.Context, *pulumirpc.RuntimeOptionsRequest) (
	*pulumirpc.RuntimeOptionsResponse, error,
) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// configEnv gives the PULUMI_CONFIG and PULUMI_CONFIG_SECRET_KEYS entries for the program. A stack with no
// config arrives as a nil map: the Python SDK iterates the decoded value, so it must be {} and [], never null.
func configEnv(config map[string]string, secretKeys []string) (string, string, error) {
	if config == nil {
		config = map[string]string{}
	}
	if secretKeys == nil {
		secretKeys = []string{}
	}
	encodedConfig, err := json.Marshal(config)
	if err != nil {
		return "", "", err
	}
	encodedKeys, err := json.Marshal(secretKeys)
	if err != nil {
		return "", "", err
	}
	return "PULUMI_CONFIG=" + string(encodedConfig), "PULUMI_CONFIG_SECRET_KEYS=" + string(encodedKeys), nil
}
