package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

func decodeEnv(t *testing.T, entry, name string, into any) {
	t.Helper()
	value, found := strings.CutPrefix(entry, name+"=")
	if !found {
		t.Fatalf("%q does not set %s", entry, name)
	}
	if err := json.Unmarshal([]byte(value), into); err != nil {
		t.Fatalf("%s=%q is not JSON: %v", name, value, err)
	}
}

func TestEmptyConfigIsAnObjectNotNull(t *testing.T) {
	config, keys, err := configEnv(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if config != "PULUMI_CONFIG={}" || keys != "PULUMI_CONFIG_SECRET_KEYS=[]" {
		t.Fatalf("a stack without config gave %q and %q; the Python SDK needs {} and []", config, keys)
	}
}

func TestConfigIsPassedWhole(t *testing.T) {
	config, keys, err := configEnv(map[string]string{"edgefed:country": "fr", "edgefed:zones": `["a"]`}, []string{"edgefed:kc"})
	if err != nil {
		t.Fatal(err)
	}
	var decoded map[string]string
	decodeEnv(t, config, "PULUMI_CONFIG", &decoded)
	if decoded["edgefed:country"] != "fr" || decoded["edgefed:zones"] != `["a"]` || len(decoded) != 2 {
		t.Fatalf("config decoded as %v", decoded)
	}
	var secret []string
	decodeEnv(t, keys, "PULUMI_CONFIG_SECRET_KEYS", &secret)
	if len(secret) != 1 || secret[0] != "edgefed:kc" {
		t.Fatalf("secret keys decoded as %v", secret)
	}
}

func TestProgramInfoJoinsTheEntryPoint(t *testing.T) {
	options, err := structpb.NewStruct(map[string]any{"virtualenv": ".venv"})
	if err != nil {
		t.Fatal(err)
	}
	info := &pulumirpc.ProgramInfo{
		RootDirectory: "/repo", ProgramDirectory: "/repo/app", EntryPoint: "main.py", Options: options,
	}
	root, program, got := programInfo(info)
	if root != "/repo" || program != "/repo/app/main.py" || got["virtualenv"] != ".venv" {
		t.Fatalf("programInfo gave %q %q %v", root, program, got)
	}
	if _, program, _ := programInfo(&pulumirpc.ProgramInfo{ProgramDirectory: "/repo", EntryPoint: "."}); program != "/repo" {
		t.Fatalf("entry point '.' gave %q", program)
	}
	if root, program, got := programInfo(nil); root != "" || program != "" || len(got) != 0 {
		t.Fatal("no program info must give empty values")
	}
}

func TestPythonUsesTheProjectVirtualenvRelativeToTheRoot(t *testing.T) {
	root := t.TempDir()
	interpreter := filepath.Join(root, ".venv", "bin", "python")
	if err := os.MkdirAll(filepath.Dir(interpreter), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(interpreter, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, venv, err := python(root, map[string]any{"virtualenv": ".venv"})
	if err != nil || got != interpreter || venv != filepath.Join(root, ".venv") {
		t.Fatalf("python gave %q %q %v", got, venv, err)
	}
}

func TestAMissingVirtualenvSaysHowToCreateIt(t *testing.T) {
	_, _, err := python(t.TempDir(), map[string]any{"virtualenv": "missing"})
	if err == nil || !strings.Contains(err.Error(), "run `make venv`") {
		t.Fatalf("expected the make venv hint, got %v", err)
	}
}

func TestEnvironmentActivatesTheVirtualenv(t *testing.T) {
	env := environment("/v", "PULUMI_CONFIG={}")
	joined := strings.Join(env, "\n")
	for _, want := range []string{"VIRTUAL_ENV=/v", "PULUMI_RUNTIME_VIRTUALENV=/v", "PATH=/v/bin:", "PULUMI_CONFIG={}"} {
		if !strings.Contains(joined, want) {
			t.Errorf("environment lacks %q", want)
		}
	}
}

func TestRequiredPackagesReadsProviderManifests(t *testing.T) {
	root := t.TempDir()
	venv := filepath.Join(root, ".venv")
	site := filepath.Join(venv, "lib", "python3.11", "site-packages")
	for name, manifest := range map[string]string{
		"pulumi_kubernetes": `{"resource": true, "name": "kubernetes", "version": "4.25.0"}`,
		"pulumi_policy":     `{"resource": false}`,
	} {
		if err := os.MkdirAll(filepath.Join(site, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(site, name, "pulumi-plugin.json"), []byte(manifest), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(venv, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(venv, "bin", "python"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	options, _ := structpb.NewStruct(map[string]any{"virtualenv": ".venv"})
	info := &pulumirpc.ProgramInfo{RootDirectory: root, ProgramDirectory: root, Options: options}
	response, err := (&host{}).GetRequiredPackages(context.Background(), &pulumirpc.GetRequiredPackagesRequest{Info: info})
	if err != nil {
		t.Fatal(err)
	}
	packages := response.GetPackages()
	if len(packages) != 1 || packages[0].GetName() != "kubernetes" || packages[0].GetVersion() != "4.25.0" {
		t.Fatalf("required packages %v", packages)
	}
}

// The engine stops a plugin with SIGINT to the plugin's whole process group; a Python child in that group
// printed a KeyboardInterrupt traceback while shutting down. Children run in a group of their own and are
// stopped with SIGTERM, which ends Python silently.
func TestPythonChildrenHaveTheirOwnGroupAndStopSilently(t *testing.T) {
	interpreter, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 on PATH")
	}
	var stderr bytes.Buffer
	cmd := exec.Command(interpreter, "-c", "import sys, threading, time; "+
		"threading.Thread(target=time.sleep, args=(60,)).start(); print('ready', flush=True); time.sleep(60)")
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	ownGroup(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	group, err := syscall.Getpgid(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if group != cmd.Process.Pid || group == syscall.Getpgrp() {
		t.Fatalf("the child runs in process group %d, the host in %d: a SIGINT to the host's group would reach it",
			group, syscall.Getpgrp())
	}
	if err := stop(cmd); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
		t.Fatalf("the child did not end by SIGTERM: %v", err)
	}
	if stderr.Len() != 0 {
		t.Fatalf("stopping the child printed %q", stderr.String())
	}
}
