package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"bango/internal/config"
	"bango/internal/identity"
)

const userSummary = `Manage staff users (an IS administrator's work).

  add --login ID --name NAME [--tenant CODE] [--department D] [--section S]
           create a user; prints a one-time password, to be changed at first login
  list     list users
  reset --login ID      give a new one-time password (forces a change at next login)
  enroll --login ID     give a new TOTP secret (prints it and the otpauth URI once)
  transfer --login ID [--tenant CODE] [--department D] [--section S]
           personnel transfer: moves the user and deletes their second factors
  retire --login ID     end the user's access: password and second factors deleted
  second-approver --login ID [--reason R]
           a new system's second approver of rights (is-approver), once, while
           only the first administrator approves: the workflow's approver is
           never the applicant, so one approver alone cannot add another`

func runUser(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, err := subcommand("user", args, userSummary, stderr, "add", "list", "reset", "enroll", "transfer", "retire", "second-approver")
	if err != nil {
		return err
	}
	fs := newFlags("user "+sub, "[flags]", userSummary, stderr)
	config.Flags(fs, "data", "db", "master-key-file", "audit-key-file", "log-level", "argon2-memory-kib", "argon2-time")
	login := fs.String("login", "", "login ID")
	name := fs.String("name", "", "add: full name")
	tenantCode := fs.String("tenant", "", "add, transfer: home municipality code (empty: none, for system-wide staff)")
	dept := fs.String("department", "", "add, transfer: department (所属部)")
	section := fs.String("section", "", "add, transfer: section (所属課)")
	reason := fs.String("reason", "second approver of a new system", "second-approver: why, for the audit log")
	asJSON := fs.Bool("json", false, "print JSON")
	sys, err := systemFromFlags(ctx, fs, args[1:], stderr)
	if err != nil {
		return err
	}
	defer sys.Close()
	defer sys.placeEvents(ctx)
	if sub != "list" && *login == "" {
		fmt.Fprintln(stderr, "bango user "+sub+": --login is required")
		return errUsage
	}
	out := func(v any, text string) error {
		if *asJSON {
			return json.NewEncoder(stdout).Encode(v)
		}
		_, err := io.WriteString(stdout, text)
		return err
	}
	switch sub {
	case "add":
		u, temp, err := sys.users.Create(ctx, identity.NewUser{LoginID: *login, Name: *name, Tenant: *tenantCode, Department: *dept, Section: *section})
		if err != nil {
			return err
		}
		return out(map[string]any{"user": u, "one_time_password": temp},
			fmt.Sprintf("User %s created. One-time password (shown once; to be changed at first login): %s\n", u.LoginID, temp))
	case "list":
		users, err := sys.users.List(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(users)
		}
		fmt.Fprintf(stdout, "%-16s %-14s %-7s %-8s %-6s %-5s %s\n", "login", "name", "tenant", "status", "totp", "pin", "section")
		for _, u := range users {
			fmt.Fprintf(stdout, "%-16s %-14s %-7s %-8s %-6v %-5v %s %s\n", u.LoginID, u.Name, u.Tenant, u.Status, u.HasTOTP, u.HasPIN, u.Department, u.Section)
		}
		return nil
	case "reset":
		temp, err := sys.users.ResetPassword(ctx, *login)
		if err != nil {
			return err
		}
		return out(map[string]string{"one_time_password": temp}, fmt.Sprintf("New one-time password for %s (shown once): %s\n", *login, temp))
	case "enroll":
		k, err := sys.users.EnrollTOTP(ctx, *login)
		if err != nil {
			return err
		}
		return out(k, fmt.Sprintf("TOTP for %s (shown once; enter it in the authenticator app):\n  secret: %s\n  URI:    %s\n", *login, k.Secret, k.URI))
	case "transfer":
		if err := sys.users.Transfer(ctx, *login, identity.NewUser{Tenant: *tenantCode, Department: *dept, Section: *section}); err != nil {
			return err
		}
		return out(map[string]string{"transferred": *login}, fmt.Sprintf("%s transferred; their second factors were deleted and must be enrolled again.\n", *login))
	case "second-approver":
		u, err := sys.users.Get(ctx, *login)
		if err != nil {
			return err
		}
		g, err := sys.access.SecondApprover(ctx, u, *reason)
		if err != nil {
			return err
		}
		return out(g, fmt.Sprintf("%s now approves rights (grant %d, is-approver); from now on rights go through an application and another person's approval.\n", *login, g.ID))
	}
	if err := sys.users.Retire(ctx, *login); err != nil {
		return err
	}
	return out(map[string]string{"retired": *login}, fmt.Sprintf("%s retired; password and second factors deleted.\n", *login))
}
