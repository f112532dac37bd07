package web

import (
	"cmp"
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"bango/internal/access"
	"bango/internal/audit"
	"bango/internal/identity"
	"bango/internal/mynumber"
	"bango/internal/nhi"
	"bango/internal/testutil"
	"bango/internal/testutil/testkit"
)

// rule is the declared policy of one route, written independently of the
// route table: the matrix test compares what the server does with it.
type rule struct {
	kind    ruleKind
	allow   []string // default patterns whose holders may reach a permission route
	ownOnly bool     // and only when their grant is for the municipality of the record asked for (131041); others get 403 or 404
}

type ruleKind int

const (
	publicRoute ruleKind = iota // anyone, no session
	loginStep                   // only a session between password and second factor
	anyStaff                    // any logged-in staff member, whatever they hold
	permitted                   // holders of the listed patterns only
	partnerOnly                 // a linkage partner's machine on the partner listener: no staff member, no session (linkagepartner_test.go)
	makerOnly                   // only the maker of the record named, whatever they hold: no caller of the matrix made it (403, or 404 from another municipality)
)

var (
	tenantPatterns  = []string{"nhi-clerk", "nhi-checker", "nhi-admin", "number-viewer", "section-head", "privacy-manager", "linkage", "pubmed-clerk", "pubmed-checker", "resident-records-clerk"}
	grantAppliers   = []string{"section-head", "is-admin"}
	auditReaders    = []string{"privacy-manager", "is-admin", "is-approver", "auditor"}
	residentReaders = []string{"nhi-clerk", "nhi-checker", "nhi-admin", "number-viewer", "section-head", "pubmed-clerk", "pubmed-checker", "resident-records-clerk"}
	pubmedReaders   = []string{"pubmed-clerk", "pubmed-checker"}
	pubmedWriters   = []string{"pubmed-clerk"}
	reviewCheckers  = []string{"nhi-checker", "pubmed-checker"}
	nhiReaders      = []string{"nhi-clerk", "nhi-checker", "nhi-admin"}
	nhiWriters      = []string{"nhi-clerk"}
	nhiAdmins       = []string{"nhi-admin"}                 // nhi.admin: the yearly batches, not every clerk
	jpkiIssuers     = []string{"resident-records-clerk"}    // only the resident-records window issues (R-JPKI-1)
	numberEnterers  = []string{"nhi-clerk", "pubmed-clerk"} // mynumber.enter: the My Number setup from a registry file
	linkageRunners  = []string{"linkage"}                   // linkage.run: the jobs and files of the data linkage
	isAdminOnly     = []string{"is-admin"}
	approverOnly    = []string{"is-approver"}
)

// policy is the declared access policy, route by route. A route missing
// here fails TestAuthorizationMatrix.
var policy = map[string]rule{
	"GET /healthz":                        {kind: publicRoute},
	"GET /readyz":                         {kind: publicRoute},
	"GET /api/v1/audit/checkpoint":        {kind: publicRoute},
	"GET /api/v1/audit/proof/inclusion":   {kind: publicRoute},
	"GET /api/v1/audit/proof/consistency": {kind: publicRoute},
	"GET /lang":                           {kind: publicRoute},
	"GET /login":                          {kind: publicRoute},
	"POST /login":                         {kind: publicRoute},
	"GET /":                               {kind: publicRoute},
	"GET /login/second":                   {kind: loginStep},
	"POST /login/second":                  {kind: loginStep},
	"GET /login/enroll":                   {kind: loginStep},
	"POST /login/enroll":                  {kind: loginStep},
	"POST /login/passkey/begin":           {kind: loginStep},
	"POST /login/passkey/finish":          {kind: loginStep},
	"POST /logout":                        {kind: anyStaff},
	"GET /lock":                           {kind: anyStaff},
	"POST /lock":                          {kind: anyStaff},
	"POST /lock/passkey/begin":            {kind: anyStaff},
	"POST /lock/passkey/finish":           {kind: anyStaff},
	"GET /password":                       {kind: anyStaff},
	"POST /password":                      {kind: anyStaff},
	"POST /lock/now":                      {kind: anyStaff},
	"GET /pin":                            {kind: anyStaff},
	"POST /pin":                           {kind: anyStaff},
	"GET /passkeys":                       {kind: anyStaff},
	"POST /passkeys/begin":                {kind: anyStaff},
	"POST /passkeys/finish":               {kind: anyStaff},
	"POST /passkeys/delete":               {kind: anyStaff},
	"GET /{$}":                            {kind: anyStaff},
	// Switching municipality needs a right in one; system staff have none.
	"POST /scope":                               {kind: permitted, allow: tenantPatterns, ownOnly: true},
	"GET /residents":                            {kind: permitted, allow: residentReaders},
	"POST /residents":                           {kind: permitted, allow: residentReaders},
	"POST /api/v1/residents/search":             {kind: permitted, allow: residentReaders},
	"GET /residents/{code}":                     {kind: permitted, allow: residentReaders, ownOnly: true},
	"POST /residents/{code}/mynumber":           {kind: permitted, allow: numberEnterers, ownOnly: true},
	"POST /residents/{code}/reveal":             {kind: permitted, allow: []string{"number-viewer"}, ownOnly: true},
	"GET /review":                               {kind: permitted, allow: reviewCheckers},
	"GET /review/{id}":                          {kind: permitted, allow: reviewCheckers, ownOnly: true},
	"POST /review/{id}/confirm":                 {kind: permitted, allow: reviewCheckers, ownOnly: true},
	"POST /review/{id}/reject":                  {kind: permitted, allow: reviewCheckers, ownOnly: true},
	"GET /review/mine":                          {kind: anyStaff},
	"POST /review/{id}/withdraw":                {kind: makerOnly},
	"GET /exports":                              {kind: permitted, allow: []string{"section-head"}},
	"POST /exports":                             {kind: permitted, allow: []string{"section-head"}},
	"POST /exports/{id}/download":               {kind: permitted, allow: []string{"section-head"}},
	"GET /exports/pending":                      {kind: permitted, allow: []string{"privacy-manager"}},
	"POST /exports/{id}/approve":                {kind: permitted, allow: []string{"privacy-manager"}},
	"POST /exports/{id}/reject":                 {kind: permitted, allow: []string{"privacy-manager"}},
	"GET /api/v1/me":                            {kind: anyStaff},
	"GET /api/v1/openapi.json":                  {kind: anyStaff},
	"POST /api/v1/scope":                        {kind: permitted, allow: tenantPatterns, ownOnly: true},
	"GET /api/v1/residents":                     {kind: permitted, allow: residentReaders},
	"GET /api/v1/residents/{code}":              {kind: permitted, allow: residentReaders, ownOnly: true},
	"POST /api/v1/residents/{code}/mynumber":    {kind: permitted, allow: numberEnterers, ownOnly: true},
	"POST /api/v1/residents/{code}/reveal":      {kind: permitted, allow: []string{"number-viewer"}, ownOnly: true},
	"GET /api/v1/review":                        {kind: permitted, allow: reviewCheckers},
	"GET /api/v1/review/{id}":                   {kind: permitted, allow: reviewCheckers, ownOnly: true},
	"POST /api/v1/review/{id}/confirm":          {kind: permitted, allow: reviewCheckers, ownOnly: true},
	"POST /api/v1/review/{id}/reject":           {kind: permitted, allow: reviewCheckers, ownOnly: true},
	"GET /api/v1/review/mine":                   {kind: anyStaff},
	"POST /api/v1/review/{id}/withdraw":         {kind: makerOnly},
	"GET /api/v1/grants":                        {kind: permitted, allow: grantAppliers},
	"POST /api/v1/grants":                       {kind: permitted, allow: grantAppliers},
	"POST /api/v1/grants/{id}/revoke":           {kind: permitted, allow: grantAppliers},
	"GET /api/v1/grants/pending":                {kind: permitted, allow: approverOnly},
	"POST /api/v1/grants/{id}/approve":          {kind: permitted, allow: approverOnly},
	"POST /api/v1/grants/{id}/reject":           {kind: permitted, allow: approverOnly},
	"GET /api/v1/patterns":                      {kind: permitted, allow: isAdminOnly},
	"POST /api/v1/patterns":                     {kind: permitted, allow: isAdminOnly},
	"GET /api/v1/exports":                       {kind: permitted, allow: []string{"section-head"}},
	"POST /api/v1/exports":                      {kind: permitted, allow: []string{"section-head"}},
	"POST /api/v1/exports/{id}/download":        {kind: permitted, allow: []string{"section-head"}},
	"GET /api/v1/exports/pending":               {kind: permitted, allow: []string{"privacy-manager"}},
	"POST /api/v1/exports/{id}/approve":         {kind: permitted, allow: []string{"privacy-manager"}},
	"POST /api/v1/exports/{id}/reject":          {kind: permitted, allow: []string{"privacy-manager"}},
	"GET /api/v1/alerts":                        {kind: permitted, allow: []string{"privacy-manager"}},
	"GET /audit":                                {kind: permitted, allow: auditReaders},
	"GET /audit/events.csv":                     {kind: permitted, allow: auditReaders},
	"GET /audit/residents/{tenant}/{code}":      {kind: permitted, allow: auditReaders, ownOnly: true},
	"GET /audit/residents/{tenant}/{code}/csv":  {kind: permitted, allow: auditReaders, ownOnly: true},
	"GET /audit/review":                         {kind: permitted, allow: []string{"privacy-manager"}},
	"POST /audit/review":                        {kind: permitted, allow: []string{"privacy-manager"}},
	"GET /alerts":                               {kind: permitted, allow: []string{"privacy-manager"}},
	"POST /alerts/{id}/ack":                     {kind: permitted, allow: []string{"privacy-manager"}},
	"GET /api/v1/audit/events":                  {kind: permitted, allow: auditReaders},
	"POST /audit":                               {kind: permitted, allow: auditReaders},
	"POST /api/v1/audit/events":                 {kind: permitted, allow: auditReaders},
	"GET /grants":                               {kind: permitted, allow: grantAppliers},
	"POST /grants":                              {kind: permitted, allow: grantAppliers},
	"POST /grants/{id}/revoke":                  {kind: permitted, allow: grantAppliers},
	"POST /staff/activation/{login}":            {kind: permitted, allow: grantAppliers},
	"POST /api/v1/users/{login}/activation":     {kind: permitted, allow: grantAppliers},
	"GET /grants/pending":                       {kind: permitted, allow: approverOnly},
	"POST /grants/{id}/approve":                 {kind: permitted, allow: approverOnly},
	"POST /grants/{id}/reject":                  {kind: permitted, allow: approverOnly},
	"POST /admin/pattern-changes/{id}/confirm":  {kind: permitted, allow: approverOnly},
	"POST /admin/pattern-changes/{id}/reject":   {kind: permitted, allow: approverOnly},
	"GET /api/v1/pattern-changes":               {kind: permitted, allow: approverOnly},
	"POST /api/v1/pattern-changes/{id}/confirm": {kind: permitted, allow: approverOnly},
	"POST /api/v1/pattern-changes/{id}/reject":  {kind: permitted, allow: approverOnly},
	"GET /admin/patterns":                       {kind: permitted, allow: isAdminOnly},
	"POST /admin/patterns":                      {kind: permitted, allow: isAdminOnly},
	"GET /admin/users":                          {kind: permitted, allow: isAdminOnly},
	"POST /admin/users":                         {kind: permitted, allow: isAdminOnly},
	"POST /admin/users/{login}/reset":           {kind: permitted, allow: isAdminOnly},
	"POST /admin/users/{login}/transfer":        {kind: permitted, allow: isAdminOnly},
	"POST /admin/users/{login}/retire":          {kind: permitted, allow: isAdminOnly},
	"GET /admin/terminals":                      {kind: permitted, allow: isAdminOnly},
	// NHI (issue 18): a record of another municipality is not found; a form
	// sent empty is refused on its fields wherever it is sent.
	"GET /nhi":                                              {kind: permitted, allow: nhiReaders},
	"GET /nhi/acquire":                                      {kind: permitted, allow: nhiWriters},
	"POST /nhi/acquire":                                     {kind: permitted, allow: nhiWriters},
	"GET /nhi/households/new":                               {kind: permitted, allow: nhiWriters},
	"POST /nhi/households/new":                              {kind: permitted, allow: nhiWriters},
	"GET /nhi/persons/{code}":                               {kind: permitted, allow: nhiReaders, ownOnly: true},
	"POST /nhi/persons/{code}/loss":                         {kind: permitted, allow: nhiWriters},
	"POST /nhi/persons/{code}/void":                         {kind: permitted, allow: nhiWriters},
	"POST /nhi/persons/{code}/income":                       {kind: permitted, allow: nhiWriters},
	"POST /nhi/persons/{code}/documents":                    {kind: permitted, allow: nhiWriters},
	"POST /nhi/persons/{code}/documents/{id}/return":        {kind: permitted, allow: nhiWriters, ownOnly: true},
	"GET /nhi/persons/{code}/documents/{id}/print":          {kind: permitted, allow: nhiReaders, ownOnly: true},
	"GET /nhi/households/{id}":                              {kind: permitted, allow: nhiReaders, ownOnly: true},
	"POST /nhi/households/{id}/change":                      {kind: permitted, allow: nhiWriters},
	"POST /nhi/households/{id}/cost-share":                  {kind: permitted, allow: nhiWriters},
	"GET /nhi/cost-share":                                   {kind: permitted, allow: nhiAdmins},
	"POST /nhi/cost-share":                                  {kind: permitted, allow: nhiAdmins},
	"GET /nhi/cost-share/runs/{id}":                         {kind: permitted, allow: nhiAdmins},
	"POST /api/v1/nhi/cost-share-runs":                      {kind: permitted, allow: nhiAdmins},
	"GET /api/v1/nhi/cost-share-runs/{id}":                  {kind: permitted, allow: nhiAdmins},
	"GET /api/v1/nhi/persons":                               {kind: permitted, allow: nhiReaders},
	"GET /api/v1/nhi/persons/{code}":                        {kind: permitted, allow: nhiReaders, ownOnly: true},
	"GET /api/v1/nhi/households/{id}":                       {kind: permitted, allow: nhiReaders, ownOnly: true},
	"POST /api/v1/nhi/acquisitions":                         {kind: permitted, allow: nhiWriters},
	"POST /api/v1/nhi/households":                           {kind: permitted, allow: nhiWriters},
	"POST /api/v1/nhi/losses":                               {kind: permitted, allow: nhiWriters},
	"POST /api/v1/nhi/voids":                                {kind: permitted, allow: nhiWriters},
	"POST /api/v1/nhi/household-changes":                    {kind: permitted, allow: nhiWriters},
	"POST /api/v1/nhi/incomes":                              {kind: permitted, allow: nhiWriters},
	"POST /api/v1/nhi/households/{id}/cost-share":           {kind: permitted, allow: nhiWriters},
	"GET /api/v1/nhi/persons/{code}/documents":              {kind: permitted, allow: nhiReaders, ownOnly: true},
	"POST /api/v1/nhi/documents":                            {kind: permitted, allow: nhiWriters},
	"POST /api/v1/nhi/persons/{code}/documents/{id}/return": {kind: permitted, allow: nhiWriters, ownOnly: true},
	"GET /nhi/estimate":                                     {kind: permitted, allow: nhiReaders},
	"POST /nhi/estimate":                                    {kind: permitted, allow: nhiReaders},
	"GET /nhi/households/{id}/assessments":                  {kind: permitted, allow: nhiReaders, ownOnly: true},
	"GET /nhi/assessments/{id}/notice":                      {kind: permitted, allow: nhiReaders},
	"GET /nhi/notices":                                      {kind: permitted, allow: nhiReaders},
	"GET /nhi/rates":                                        {kind: permitted, allow: nhiReaders},
	"POST /nhi/rates":                                       {kind: permitted, allow: nhiAdmins},
	"GET /nhi/revenues":                                     {kind: permitted, allow: nhiWriters},
	"POST /nhi/revenues":                                    {kind: permitted, allow: nhiWriters},
	"POST /api/v1/nhi/estimate":                             {kind: permitted, allow: nhiReaders},
	"GET /api/v1/nhi/households/{id}/assessments":           {kind: permitted, allow: nhiReaders, ownOnly: true},
	"GET /api/v1/nhi/rates":                                 {kind: permitted, allow: nhiReaders},
	"POST /api/v1/nhi/rates":                                {kind: permitted, allow: nhiAdmins},
	"POST /api/v1/nhi/revenues":                             {kind: permitted, allow: nhiWriters},
	"GET /nhi/remissions":                                   {kind: permitted, allow: nhiReaders},
	"POST /nhi/remissions":                                  {kind: permitted, allow: nhiWriters},
	"GET /api/v1/nhi/remissions":                            {kind: permitted, allow: nhiReaders},
	"POST /api/v1/nhi/remissions":                           {kind: permitted, allow: nhiWriters},
	"GET /nhi/remissions/{id}":                              {kind: permitted, allow: nhiReaders},
	"POST /nhi/remissions/{id}/change":                      {kind: permitted, allow: nhiWriters},
	"GET /api/v1/nhi/remissions/{id}":                       {kind: permitted, allow: nhiReaders},
	"POST /api/v1/nhi/remissions/{id}/change":               {kind: permitted, allow: nhiWriters},
	"GET /nhi/births":                                       {kind: permitted, allow: nhiWriters},
	"POST /nhi/births":                                      {kind: permitted, allow: nhiWriters},
	"POST /api/v1/nhi/births":                               {kind: permitted, allow: nhiWriters},
	"POST /api/v1/nhi/pension-notices":                      {kind: permitted, allow: nhiWriters},
	"GET /api/v1/nhi/pension-notices":                       {kind: permitted, allow: nhiReaders},
	"GET /nhi/pension-notices":                              {kind: permitted, allow: nhiReaders},
	"POST /nhi/pension-notices":                             {kind: permitted, allow: nhiWriters},
	"POST /nhi/pension-notices/{id}/withdraw":               {kind: permitted, allow: nhiWriters},
	"POST /api/v1/nhi/pension-notices/{id}/withdraw":        {kind: permitted, allow: nhiWriters},
	"GET /pubmed":                                           {kind: permitted, allow: pubmedReaders},
	"GET /pubmed/applications/new":                          {kind: permitted, allow: pubmedWriters},
	"POST /pubmed/applications/new":                         {kind: permitted, allow: pubmedWriters},
	"GET /pubmed/applications/{id}":                         {kind: permitted, allow: pubmedReaders},
	"POST /pubmed/applications/{id}/decide":                 {kind: permitted, allow: pubmedWriters},
	"POST /pubmed/applications/{id}/evidence":               {kind: permitted, allow: pubmedWriters},
	"POST /pubmed/evidence/{id}/move":                       {kind: permitted, allow: pubmedWriters},
	"POST /pubmed/evidence/{id}/dispose":                    {kind: permitted, allow: pubmedWriters},
	"GET /pubmed/certificates/{id}":                         {kind: permitted, allow: pubmedReaders},
	"POST /pubmed/certificates/{id}/copayments":             {kind: permitted, allow: pubmedWriters},
	"GET /pubmed/certificates/{id}/print":                   {kind: permitted, allow: pubmedReaders},
	"GET /pubmed/cabinets":                                  {kind: permitted, allow: pubmedReaders},
	"POST /pubmed/cabinets":                                 {kind: permitted, allow: pubmedWriters},
	"GET /api/v1/pubmed/applications":                       {kind: permitted, allow: pubmedReaders},
	"POST /api/v1/pubmed/applications":                      {kind: permitted, allow: pubmedWriters},
	"GET /api/v1/pubmed/applications/{id}":                  {kind: permitted, allow: pubmedReaders},
	"POST /api/v1/pubmed/applications/{id}/decision":        {kind: permitted, allow: pubmedWriters},
	"POST /api/v1/pubmed/applications/{id}/evidence":        {kind: permitted, allow: pubmedWriters},
	"POST /api/v1/pubmed/evidence/{id}/move":                {kind: permitted, allow: pubmedWriters},
	"POST /api/v1/pubmed/evidence/{id}/dispose":             {kind: permitted, allow: pubmedWriters},
	"GET /api/v1/pubmed/certificates/{id}":                  {kind: permitted, allow: pubmedReaders},
	"POST /api/v1/pubmed/certificates/{id}/copayments":      {kind: permitted, allow: pubmedWriters},
	"GET /api/v1/pubmed/cabinets":                           {kind: permitted, allow: pubmedReaders},
	"POST /api/v1/pubmed/cabinets":                          {kind: permitted, allow: pubmedWriters},
	"GET /api/v1/pubmed/diseases":                           {kind: permitted, allow: pubmedReaders},
	"GET /pubmed/mynumber-deletions":                        {kind: permitted, allow: pubmedReaders},
	// My Number setup from a registry file (numbersetup.go): mynumber.enter.
	"GET /numbersetup":                                               {kind: permitted, allow: numberEnterers},
	"POST /numbersetup/imports":                                      {kind: permitted, allow: numberEnterers},
	"GET /numbersetup/{id}":                                          {kind: permitted, allow: numberEnterers},
	"POST /numbersetup/{id}/candidates/{line}/resolve":               {kind: permitted, allow: numberEnterers},
	"POST /numbersetup/{id}/candidates/{line}/discard":               {kind: permitted, allow: numberEnterers},
	"POST /numbersetup/{id}/close":                                   {kind: permitted, allow: numberEnterers},
	"GET /api/v1/numbersetup/setups":                                 {kind: permitted, allow: numberEnterers},
	"POST /api/v1/numbersetup/setups":                                {kind: permitted, allow: numberEnterers},
	"GET /api/v1/numbersetup/setups/{id}":                            {kind: permitted, allow: numberEnterers},
	"GET /api/v1/numbersetup/setups/{id}/candidates":                 {kind: permitted, allow: numberEnterers},
	"POST /api/v1/numbersetup/setups/{id}/candidates/{line}/resolve": {kind: permitted, allow: numberEnterers},
	"POST /api/v1/numbersetup/setups/{id}/candidates/{line}/discard": {kind: permitted, allow: numberEnterers},
	"POST /api/v1/numbersetup/setups/{id}/close":                     {kind: permitted, allow: numberEnterers},
	"GET /api/v1/pubmed/mynumber-deletions":                          {kind: permitted, allow: pubmedReaders},
	"GET /pubmed/renewals":                                           {kind: permitted, allow: pubmedReaders},
	"GET /api/v1/pubmed/renewals":                                    {kind: permitted, allow: pubmedReaders},
	"GET /pubmed/registrations":                                      {kind: permitted, allow: pubmedReaders},
	"POST /pubmed/registrations":                                     {kind: permitted, allow: pubmedWriters},
	"GET /pubmed/registrations/{id}/print":                           {kind: permitted, allow: pubmedReaders},
	"POST /pubmed/registrations/{id}/end":                            {kind: permitted, allow: pubmedWriters},
	"GET /api/v1/pubmed/registrations":                               {kind: permitted, allow: pubmedReaders},
	"POST /api/v1/pubmed/registrations":                              {kind: permitted, allow: pubmedWriters},
	"GET /api/v1/pubmed/registrations/{id}":                          {kind: permitted, allow: pubmedReaders},
	"POST /api/v1/pubmed/registrations/{id}/end":                     {kind: permitted, allow: pubmedWriters},
	"POST /admin/terminals":                                          {kind: permitted, allow: isAdminOnly},
	"POST /admin/terminals/{name}/disable":                           {kind: permitted, allow: isAdminOnly},
	// JPKI (issue 22): only the resident-records window issues; an
	// application of another municipality is not found.
	"GET /jpki":                                  {kind: permitted, allow: jpkiIssuers},
	"POST /jpki/applications":                    {kind: permitted, allow: jpkiIssuers},
	"GET /jpki/applications/{id}":                {kind: permitted, allow: jpkiIssuers},
	"POST /jpki/applications/{id}/issue":         {kind: permitted, allow: jpkiIssuers},
	"POST /jpki/applications/{id}/cancel":        {kind: permitted, allow: jpkiIssuers},
	"POST /api/v1/jpki/applications":             {kind: permitted, allow: jpkiIssuers},
	"GET /api/v1/jpki/applications/{id}":         {kind: permitted, allow: jpkiIssuers},
	"POST /api/v1/jpki/applications/{id}/issue":  {kind: permitted, allow: jpkiIssuers},
	"POST /api/v1/jpki/applications/{id}/cancel": {kind: permitted, allow: jpkiIssuers},
	"GET /api/v1/jpki/count":                     {kind: permitted, allow: jpkiIssuers},
	"POST /jpki/revocations":                     {kind: permitted, allow: jpkiIssuers},
	"POST /api/v1/jpki/revocations":              {kind: permitted, allow: jpkiIssuers},
	"GET /jpki/renewals":                         {kind: permitted, allow: jpkiIssuers},
	"GET /api/v1/jpki/renewals":                  {kind: permitted, allow: jpkiIssuers},
	"GET /jpki/revoked":                          {kind: permitted, allow: jpkiIssuers},
	"GET /api/v1/jpki/revoked":                   {kind: permitted, allow: jpkiIssuers},
	// Linkage partners (issue 20): machines with a partner certificate on
	// the partner listener; on the staff listener everyone is refused.
	"GET /linkage/continuity":                      {kind: permitted, allow: nhiReaders},
	"POST /linkage/continuity/{job}/{line}":        {kind: permitted, allow: nhiWriters},
	"GET /linkage/reports":                         {kind: permitted, allow: nhiReaders},
	"GET /linkage/reports/{job}/{no}":              {kind: permitted, allow: nhiReaders},
	"GET /linkage/moves":                           {kind: permitted, allow: nhiReaders},
	"POST /linkage/moves/{job}/{line}/done":        {kind: permitted, allow: nhiWriters},
	"GET /linkage/jobs":                            {kind: permitted, allow: linkageRunners},
	"GET /api/v1/linkage/continuity":               {kind: permitted, allow: nhiReaders},
	"POST /api/v1/linkage/continuity/decide":       {kind: permitted, allow: nhiWriters},
	"GET /api/v1/linkage/reports":                  {kind: permitted, allow: nhiReaders},
	"GET /api/v1/linkage/reports/{job}/{no}":       {kind: permitted, allow: nhiReaders},
	"GET /api/v1/linkage/moves":                    {kind: permitted, allow: nhiReaders},
	"POST /api/v1/linkage/moves/{job}/{line}/done": {kind: permitted, allow: nhiWriters},
	"GET /api/v1/linkage/highcost/{code}":          {kind: permitted, allow: nhiReaders},
	"GET /api/v1/linkage/runs":                     {kind: permitted, allow: linkageRunners},
	"GET /api/v1/linkage/files":                    {kind: permitted, allow: linkageRunners},
	"POST /linkage/jobs/{job}/run":                 {kind: permitted, allow: linkageRunners},
	"POST /linkage/jobs/{job}/schedule":            {kind: permitted, allow: linkageRunners},
	"GET /linkage/import":                          {kind: permitted, allow: linkageRunners},
	"POST /linkage/import":                         {kind: permitted, allow: linkageRunners},
	"GET /api/v1/linkage/runs/{id}":                {kind: permitted, allow: linkageRunners},
	"POST /api/v1/linkage/jobs/{job}/run":          {kind: permitted, allow: linkageRunners},
	"GET /api/v1/linkage/schedules":                {kind: permitted, allow: linkageRunners},
	"POST /api/v1/linkage/jobs/{job}/schedule":     {kind: permitted, allow: linkageRunners},
	"GET /linkage/insurer":                         {kind: permitted, allow: linkageRunners},
	"POST /linkage/insurer":                        {kind: permitted, allow: linkageRunners},
	"GET /api/v1/linkage/insurer":                  {kind: permitted, allow: linkageRunners},
	"POST /api/v1/linkage/insurer":                 {kind: permitted, allow: linkageRunners},
	"GET /linkage/held":                            {kind: permitted, allow: reviewCheckers},
	"POST /linkage/held/{id}/confirm":              {kind: permitted, allow: reviewCheckers},
	"POST /linkage/held/{id}/decline":              {kind: permitted, allow: reviewCheckers},
	"GET /api/v1/linkage/held":                     {kind: permitted, allow: reviewCheckers},
	"POST /api/v1/linkage/held/{id}/confirm":       {kind: permitted, allow: reviewCheckers},
	"POST /api/v1/linkage/held/{id}/decline":       {kind: permitted, allow: reviewCheckers},
	"POST /linkage/v1/files/{layout}":              {kind: partnerOnly},
	"GET /linkage/v1/files/{layout}":               {kind: partnerOnly},
	"POST /linkage/v1/files/{layout}/{id}/ack":     {kind: partnerOnly},
}

// formFor gives a route the input that passes its own checks where the
// check is about the caller (the municipality to switch to).
var formFor = map[string]url.Values{
	"POST /scope": {"tenant": {"131041"}},
}

// jsonFor is formFor for the JSON routes.
var jsonFor = map[string]string{
	"POST /api/v1/scope": `{"tenant": "131041"}`,
}

// caller is one staff member of the matrix: a default pattern granted for
// their own municipality (131041) or another (011002).
type caller struct {
	pattern, variant string
	user             identity.User
}

// R-AC-1, R-AC-2, R-AC-6, R-AC-7: every route × every default pattern ×
// own/other municipality (and no pattern at all, and no session) against
// the declared policy, on both engines (PostgreSQL under row-level
// security); a route without a declared rule fails, and so does any 5xx.
func TestAuthorizationMatrix(t *testing.T) {
	forEachEngine(t, func(t *testing.T, f *webFixture) {
		ctx := audit.WithActor(context.Background(), audit.Actor{User: "setup"})
		var callers []caller
		mk2 := func(code, variant, home, grantTenant string) {
			s := testkit.Staff{Login: "u-" + code + "-" + variant, Name: "試験　" + code, Tenant: home, Section: "試験課", GrantIn: grantTenant}
			if code != "" {
				s.Patterns = []string{code}
			}
			callers = append(callers, caller{pattern: code, variant: variant, user: f.kit.Staff(t, s)})
		}
		for _, p := range access.DefaultPatterns {
			if p.Scope == access.ScopeSystem {
				mk2(p.Code, "system", "", "")
				continue
			}
			mk2(p.Code, "own", "131041", "131041")
			mk2(p.Code, "other", "131041", "011002")
		}
		mk2("", "none", "131041", "")
		// A resident of 131041 and a pending change about them, for the routes
		// that name a record.
		testkit.Resident(t, f.residents, "131041", testkit.Person("100001", ""))
		n, _ := mynumber.Parse("123456789018")
		prop, err := f.residents.ProposeMyNumber(ctx, "131041", "100001", n)
		if err != nil {
			t.Fatal(err)
		}
		maker, _ := f.users.Get(ctx, "tanaka.h")
		change, err := f.review.Submit(ctx, maker, "131041", prop)
		if err != nil {
			t.Fatal(err)
		}
		matrixChangeID = strconv.FormatInt(change.ID, 10)
		// 100001 insured in an NHI household of 131041, with a document: the
		// NHI routes that name a record.
		hh := f.nhiInsure(t, "131041", nhi.AcquisitionInput{ResidentCode: "100001", AcquiredOn: daysAgo(30), Reason: nhi.AcquireMoveIn,
			NotifiedOn: daysAgo(25), NewKigo: "01", NewHead: "100001", Number: "1001", Branch: "01"})
		matrixHouseholdID = strconv.FormatInt(hh, 10)
		matrixDocumentID = strconv.FormatInt(f.nhiIssue(t, "131041", "100001").ID, 10)

		routes := f.server.routes()
		var declared []string
		for _, rt := range routes {
			declared = append(declared, rt.pattern)
			if _, ok := policy[rt.pattern]; !ok {
				t.Errorf("route %q has no declared rule in the policy", rt.pattern)
			}
		}
		for p := range policy {
			if !slices.Contains(declared, p) {
				t.Errorf("policy declares %q, which is not a route", p)
			}
		}
		if t.Failed() {
			return
		}

		checked := 0
		for _, rt := range routes {
			rl := policy[rt.pattern]
			method, path := requestOf(rt.pattern)
			// No session at all.
			res := f.request(t, method, path, "", "", rt.json, formFor[rt.pattern], jsonFor[rt.pattern])
			if res.StatusCode >= 500 {
				t.Errorf("%s as anonymous: %d — a server error is never an answer", rt.pattern, res.StatusCode)
			}
			anonDenied := res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden ||
				(res.StatusCode == http.StatusSeeOther && res.Header.Get("Location") == "/login")
			if rl.kind == publicRoute && anonDenied {
				t.Errorf("%s: public route refused an anonymous caller (%d)", rt.pattern, res.StatusCode)
			}
			if rl.kind != publicRoute && !anonDenied {
				t.Errorf("%s: anonymous caller let through (%d)", rt.pattern, res.StatusCode)
			}
			if rl.kind == publicRoute {
				continue
			}
			for _, c := range callers {
				tok, sess, err := f.users.StartSession(ctx, c.user, identity.StageActive, "127.0.0.1", "", "")
				if err != nil {
					t.Fatal(err)
				}
				res := f.request(t, method, path, tok, sess.CSRF, rt.json, formFor[rt.pattern], jsonFor[rt.pattern])
				if res.StatusCode >= 500 {
					t.Errorf("%s as %s (%s): %d — a server error is never an answer, not even 'allowed'", rt.pattern, c.pattern, c.variant, res.StatusCode)
					continue
				}
				got := res.StatusCode != http.StatusForbidden && !((rl.ownOnly || rl.kind == makerOnly) && res.StatusCode == http.StatusNotFound)
				if rl.kind == loginStep {
					// A logged-in session is past this step: sent home, never served.
					got = !(res.StatusCode == http.StatusSeeOther && res.Header.Get("Location") == "/") && res.StatusCode != http.StatusForbidden
				}
				want := rl.kind == anyStaff || (rl.kind == permitted && slices.Contains(rl.allow, c.pattern) && !(rl.ownOnly && c.variant == "other"))
				if got != want {
					t.Errorf("%s as %s (%s): allowed=%v, policy says %v (status %d)", rt.pattern, c.pattern, c.variant, got, want, res.StatusCode)
				}
				checked++
			}
		}
		t.Logf("checked %d route × caller pairs", checked)
		// Every refusal of a permission is an audit event.
		refusals := testutil.CountEvents(t, f.db, `action = 'request.refused' AND detail LIKE 'reason=permission%'`)
		if refusals == 0 {
			t.Fatal("no permission refusal was audited")
		}
	})
}

// matrixChangeID is the pending change the review routes name;
// matrixHouseholdID and matrixDocumentID the NHI household and document
// of resident 100001 the NHI routes name.
var matrixChangeID, matrixHouseholdID, matrixDocumentID string

// requestOf turns a route pattern into a method and a concrete path.
func requestOf(pattern string) (string, string) {
	method, path, _ := strings.Cut(pattern, " ")
	if path == "/" {
		return method, "/no-such-page" // the catch-all
	}
	id := "999" // no such grant: the permission check comes first
	switch {
	case strings.Contains(path, "/review/") && matrixChangeID != "":
		id = matrixChangeID
	case strings.Contains(path, "/nhi/households/") && matrixHouseholdID != "":
		id = matrixHouseholdID
	case strings.Contains(path, "/nhi/") && strings.Contains(path, "/documents/{id}") && matrixDocumentID != "":
		id = matrixDocumentID
	}
	r := strings.NewReplacer("{$}", "", "{id}", id, "{login}", "nobody", "{name}", "no-terminal", "{code}", "100001", "{tenant}", "131041", "{line}", "1")
	return method, r.Replace(path)
}

func (f *webFixture) request(t *testing.T, method, path, token, csrf string, isJSON bool, form url.Values, jsonBody string) *http.Response {
	t.Helper()
	body := form.Encode()
	ctype := "application/x-www-form-urlencoded"
	if isJSON {
		body, ctype = cmp.Or(jsonBody, "{}"), "application/json"
	}
	req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if method == "POST" {
		req.Header.Set("Content-Type", ctype)
	}
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	if token != "" {
		req.AddCookie(&http.Cookie{Name: cookieName, Value: token})
	}
	// One transport for every request: the matrix's thousands of requests
	// reuse connections instead of a TLS handshake each. No cookie jar:
	// the request carries only the session it is given.
	c := &http.Client{Transport: f.srv.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}
