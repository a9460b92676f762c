package check

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

const (
	kubernetesDir = "../kubernetes"
	docsPath      = "../../docs/operations.md"
)

// overlays are what SREs apply; the base is rendered too, since it must
// stand on its own.
var overlays = []string{"base", "overlays/dev", "overlays/prod"}

func expectations(t *testing.T) Expect {
	t.Helper()
	images, err := ImageRefs(filepath.Join(kubernetesDir, "base", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	docs, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	flags, err := DocFlags(string(docs))
	if err != nil {
		t.Fatal(err)
	}
	return Expect{Images: images, Docs: string(docs), Flags: flags}
}

func render(t *testing.T, dir string) [][]byte {
	t.Helper()
	docs, err := Render(filepath.Join(kubernetesDir, dir))
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

func TestOverlaysRenderDecodeStrictlyAndFollowTheRules(t *testing.T) {
	e := expectations(t)
	for _, dir := range overlays {
		t.Run(strings.ReplaceAll(dir, "/", "-"), func(t *testing.T) {
			start := time.Now()
			docs := render(t, dir)
			if err := Validate(docs, e); err != nil {
				t.Fatalf("%s:\n%v", dir, err)
			}
			t.Logf("%s: %d objects rendered and checked in %s", dir, len(docs), time.Since(start).Round(time.Millisecond))
		})
	}
}

// TestOverlaysDiffer pins what the overlays are for.
func TestOverlaysDiffer(t *testing.T) {
	get := func(dir string) []Object {
		objs, errs := Decode(render(t, dir))
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		return objs
	}
	gateway := func(objs []Object) (*appsv1.Deployment, *networkingv1.Ingress, int32) {
		var d *appsv1.Deployment
		var ing *networkingv1.Ingress
		var minReplicas int32
		for _, o := range objs {
			switch x := o.Obj.(type) {
			case *appsv1.Deployment:
				d = x
			case *networkingv1.Ingress:
				ing = x
			}
			if h, ok := o.Obj.(*autoscalingv2.HorizontalPodAutoscaler); ok {
				minReplicas = *h.Spec.MinReplicas
			}
		}
		return d, ing, minReplicas
	}
	devObjs, prodObjs := get("overlays/dev"), get("overlays/prod")
	dev, devIngress, devMin := gateway(devObjs)
	prod, prodIngress, prodMin := gateway(prodObjs)
	if *dev.Spec.Replicas != 1 || devMin != 1 || devIngress != nil {
		t.Errorf("dev: gateway replicas %d, HPA min %d, ingress %v; want 1, 1, none", *dev.Spec.Replicas, devMin, devIngress)
	}
	if prodIngress == nil || len(prodIngress.Spec.TLS) == 0 || prodIngress.Spec.TLS[0].SecretName == "" {
		t.Error("prod: no TLS-terminating Ingress")
	}
	if *prod.Spec.Replicas < 2 || prodMin < 2 {
		t.Errorf("prod: gateway replicas %d, HPA min %d; want at least 2", *prod.Spec.Replicas, prodMin)
	}
	devLimit := dev.Spec.Template.Spec.Containers[0].Resources.Limits[corev1.ResourceMemory]
	prodLimit := prod.Spec.Template.Spec.Containers[0].Resources.Limits[corev1.ResourceMemory]
	if devLimit.Cmp(prodLimit) >= 0 {
		t.Errorf("gateway memory limit: dev %s, prod %s; want dev smaller", devLimit.String(), prodLimit.String())
	}
}

// edit decodes the named object of docs, lets f change it and encodes it
// again, as a broken manifest would be written.
func edit(t *testing.T, docs [][]byte, kind, name string, f func(obj any)) [][]byte {
	t.Helper()
	objs, errs := Decode(docs)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	out := make([][]byte, len(docs))
	copy(out, docs)
	for i, o := range objs {
		if o.Kind == kind && o.Name == name {
			f(o.Obj)
			y, err := yaml.Marshal(o.Obj)
			if err != nil {
				t.Fatal(err)
			}
			out[i] = y
			return out
		}
	}
	t.Fatalf("no %s %s", kind, name)
	return nil
}

func container(obj any) *corev1.Container {
	switch x := obj.(type) {
	case *appsv1.StatefulSet:
		return &x.Spec.Template.Spec.Containers[0]
	case *appsv1.Deployment:
		return &x.Spec.Template.Spec.Containers[0]
	}
	panic("not a workload")
}

func ptr[T any](v T) *T { return &v }

// TestChecksCatchBrokenManifests breaks the dev rendering in one way at a
// time; the checks must name each problem.
func TestChecksCatchBrokenManifests(t *testing.T) {
	e := expectations(t)
	good := render(t, "overlays/dev")
	workload := func(kind, name string, f func(c *corev1.Container, obj any)) func([][]byte) [][]byte {
		return func(docs [][]byte) [][]byte {
			return edit(t, docs, kind, name, func(obj any) { f(container(obj), obj) })
		}
	}
	cases := []struct {
		name   string
		break_ func([][]byte) [][]byte
		want   string
	}{
		{"privileged copy of a workload", func(docs [][]byte) [][]byte {
			objs, _ := Decode(docs)
			for _, o := range objs {
				if o.Kind == "Deployment" {
					d := o.Obj.(*appsv1.Deployment).DeepCopy()
					d.Name = "gateway-debug"
					d.Spec.Template.Labels["app.kubernetes.io/name"] = "gateway-debug"
					d.Spec.Template.Spec.Containers[0].SecurityContext.Privileged = ptr(true)
					d.Spec.Template.Spec.Containers[0].Resources.Limits = nil
					y, _ := yaml.Marshal(d)
					return append(docs, y)
				}
			}
			return nil
		}, "privileged is not allowed"},
		{"no memory limit", workload("StatefulSet", "token", func(c *corev1.Container, _ any) {
			delete(c.Resources.Limits, corev1.ResourceMemory)
		}), "no memory limit"},
		{"privilege escalation", workload("StatefulSet", "export", func(c *corev1.Container, _ any) {
			c.SecurityContext.AllowPrivilegeEscalation = ptr(true)
		}), "allowPrivilegeEscalation must be false"},
		{"writable root file system", workload("Deployment", "gateway", func(c *corev1.Container, _ any) {
			c.SecurityContext.ReadOnlyRootFilesystem = nil
		}), "readOnlyRootFilesystem must be true"},
		{"capabilities kept", workload("StatefulSet", "tenancy", func(c *corev1.Container, _ any) {
			c.SecurityContext.Capabilities.Drop = nil
		}), "capabilities must drop ALL"},
		{"root user", workload("StatefulSet", "membership", func(c *corev1.Container, _ any) {
			c.SecurityContext.RunAsUser = ptr(int64(0))
		}), "runAsUser must be 65532"},
		{"seccomp unconfined", workload("StatefulSet", "membership", func(c *corev1.Container, obj any) {
			c.SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
		}), "seccompProfile must be RuntimeDefault"},
		{"host network", workload("Deployment", "gateway", func(_ *corev1.Container, obj any) {
			obj.(*appsv1.Deployment).Spec.Template.Spec.HostNetwork = true
		}), "host namespaces"},
		{"hostPath volume", workload("StatefulSet", "export", func(_ *corev1.Container, obj any) {
			s := obj.(*appsv1.StatefulSet)
			s.Spec.Template.Spec.Volumes = append(s.Spec.Template.Spec.Volumes, corev1.Volume{Name: "host",
				VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}})
		}), "volume host: only"},
		{"no readiness probe", workload("StatefulSet", "token", func(c *corev1.Container, _ any) {
			c.ReadinessProbe = nil
		}), "no readinessProbe"},
		{"http probe on a gRPC service", workload("StatefulSet", "token", func(c *corev1.Container, _ any) {
			c.LivenessProbe.GRPC = nil
			c.LivenessProbe.TCPSocket = &corev1.TCPSocketAction{}
		}), "livenessProbe must be a grpc probe"},
		{"latest tag", workload("StatefulSet", "tenancy", func(c *corev1.Container, _ any) {
			c.Image = "tollgate/tenancy:latest"
		}), "never latest"},
		{"image make images does not build", workload("Deployment", "gateway", func(c *corev1.Container, _ any) {
			c.Image = "tollgate/gateway:9.9.9"
		}), "but make images builds"},
		{"two replicas of a bbolt service", workload("StatefulSet", "token", func(_ *corev1.Container, obj any) {
			obj.(*appsv1.StatefulSet).Spec.Replicas = ptr(int32(2))
		}), "replicas must be exactly 1"},
		{"service token mounted", workload("Deployment", "gateway", func(_ *corev1.Container, obj any) {
			obj.(*appsv1.Deployment).Spec.Template.Spec.AutomountServiceAccountToken = nil
		}), "automountServiceAccountToken must be false"},
		{"secret key path that is not mounted", workload("StatefulSet", "token", func(_ *corev1.Container, obj any) {
			s := obj.(*appsv1.StatefulSet)
			for i, v := range s.Spec.Template.Spec.Volumes {
				if v.Secret != nil && v.Secret.SecretName == "tollgate-token-hash" {
					s.Spec.Template.Spec.Volumes[i].Secret.Items[0].Path = "key.pem"
				}
			}
		}), "TOLLGATE_TOKEN_HASH_KEY=/etc/tollgate/token-hash/token-hash.pem is not a mounted file"},
		{"inline Secret", func(docs [][]byte) [][]byte {
			return append(docs, []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: tollgate-identity\n  namespace: tollgate-dev\ndata:\n  identity.pem: c2VjcmV0\n"))
		}, "Secrets are never part of the manifests"},
		{"unknown field", func(docs [][]byte) [][]byte {
			return append(docs, []byte("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: x\n  namespace: tollgate-dev\nautomountServiceAccountTokens: false\n"))
		}, `unknown field "automountServiceAccountTokens"`},
		{"misplaced field in a workload", func(docs [][]byte) [][]byte {
			for i, d := range docs {
				if strings.Contains(string(d), "kind: StatefulSet") {
					docs = append([][]byte{}, docs...)
					docs[i] = []byte(strings.Replace(string(d), "  serviceName:", "  servicename:", 1))
					return docs
				}
			}
			return nil
		}, `unknown field "spec.servicename"`},
		{"unknown kind", func(docs [][]byte) [][]byte {
			return append(docs, []byte("apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: x\n"))
		}, "unknown apiVersion/kind autoscaling/v2beta2"},
		{"undocumented setting", func(docs [][]byte) [][]byte {
			return edit(t, docs, "ConfigMap", configMapName(t, docs, "tollgate-token"), func(obj any) {
				obj.(*corev1.ConfigMap).Data["TOLLGATE_TOKEN_MAX_LIFETIMES"] = "1h"
			})
		}, "TOLLGATE_TOKEN_MAX_LIFETIMES is not a setting of tokend"},
		{"setting of another component", func(docs [][]byte) [][]byte {
			return edit(t, docs, "ConfigMap", configMapName(t, docs, "tollgate-export"), func(obj any) {
				obj.(*corev1.ConfigMap).Data["TOLLGATE_TOKEN_MAX_LIFETIME"] = "1h"
			})
		}, "TOLLGATE_TOKEN_MAX_LIFETIME is not a setting of exportd"},
		{"no default deny", func(docs [][]byte) [][]byte {
			return edit(t, docs, "NetworkPolicy", "default-deny", func(obj any) {
				obj.(*networkingv1.NetworkPolicy).Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
			})
		}, "no default-deny NetworkPolicy"},
		{"a service opened to a component that does not call it", func(docs [][]byte) [][]byte {
			return edit(t, docs, "NetworkPolicy", "token-ingress", func(obj any) {
				np := obj.(*networkingv1.NetworkPolicy)
				np.Spec.Ingress[0].From = append(np.Spec.Ingress[0].From, networkingv1.NetworkPolicyPeer{
					PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{NameLabel: "export"}}})
			})
		}, "lets export reach port 9103, but export does not call token"},
		{"a call the policies block", func(docs [][]byte) [][]byte {
			return edit(t, docs, "NetworkPolicy", "token-egress", func(obj any) {
				obj.(*networkingv1.NetworkPolicy).Spec.Egress = obj.(*networkingv1.NetworkPolicy).Spec.Egress[:1]
			})
		}, "calls membership, but no NetworkPolicy allows egress to it on 9102"},
		{"request above limit", workload("Deployment", "gateway", func(c *corev1.Container, _ any) {
			c.Resources.Requests[corev1.ResourceCPU] = resource.MustParse("4")
		}), "cpu request 4 is above the limit"},
		{"namespace without restricted enforcement", func(docs [][]byte) [][]byte {
			return edit(t, docs, "Namespace", "tollgate-dev", func(obj any) {
				delete(obj.(*corev1.Namespace).Labels, "pod-security.kubernetes.io/enforce")
			})
		}, "pod-security.kubernetes.io/enforce must be restricted"},
	}
	if err := Validate(good, e); err != nil {
		t.Fatalf("the unbroken rendering fails: %v", err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.break_(good), e)
			if err == nil {
				t.Fatalf("not caught (want %q)", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error containing %q, got:\n%v", tc.want, err)
			}
		})
	}
}

// TestBrokenOverlayOnDiskIsCaught goes through kustomize too: an overlay
// that patches the real base into a privileged, limitless gateway.
func TestBrokenOverlayOnDiskIsCaught(t *testing.T) {
	e := expectations(t)
	dir := t.TempDir()
	base := relativeTo(t, dir, filepath.Join(kubernetesDir, "base"))
	kustomization := "resources:\n  - " + base + "\npatches:\n  - patch: |-\n" + indent(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: gateway
spec:
  template:
    spec:
      containers:
        - name: gateway
          securityContext:
            privileged: true
          resources:
            limits: null
`, "      ")
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(kustomization), 0o644); err != nil {
		t.Fatal(err)
	}
	docs, err := Render(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = Validate(docs, e)
	for _, want := range []string{"privileged is not allowed", "no cpu limit", "violates the restricted Pod Security Standard (pod-security-admission): privileged"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want an error containing %q, got: %v", want, err)
		}
	}
}

// relativeTo is target relative to dir: kustomize takes no absolute paths.
func relativeTo(t *testing.T, dir, target string) string {
	t.Helper()
	abs, err := filepath.Abs(target)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(dir, abs)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.ToSlash(rel)
}

// TestTokenHashRotationComponent renders prod with the rotation component
// and checks it like an overlay: the previous key is mounted where
// TOLLGATE_TOKEN_HASH_PREVIOUS_KEYS says.
func TestTokenHashRotationComponent(t *testing.T) {
	e := expectations(t)
	dir := t.TempDir()
	kustomization := "resources:\n  - " + relativeTo(t, dir, filepath.Join(kubernetesDir, "overlays", "prod")) +
		"\ncomponents:\n  - " + relativeTo(t, dir, filepath.Join(kubernetesDir, "components", "token-hash-rotation")) + "\n"
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(kustomization), 0o644); err != nil {
		t.Fatal(err)
	}
	docs, err := Render(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(docs, e); err != nil {
		t.Fatal(err)
	}
	rendered := string(bytesJoin(docs))
	for _, want := range []string{"TOLLGATE_TOKEN_HASH_PREVIOUS_KEYS: /etc/tollgate/token-hash-previous/previous.pem", "secretName: tollgate-token-hash-previous"} {
		if !strings.Contains(rendered, want) {
			t.Errorf("rendering lacks %q", want)
		}
	}
}

func bytesJoin(docs [][]byte) []byte {
	var out []byte
	for _, d := range docs {
		out = append(out, d...)
		out = append(out, "---\n"...)
	}
	return out
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return strings.Join(lines, "\n") + "\n"
}

func configMapName(t *testing.T, docs [][]byte, prefix string) string {
	objs, _ := Decode(docs)
	for _, o := range objs {
		if o.Kind == "ConfigMap" && strings.HasPrefix(o.Name, prefix+"-") && len(o.Name) == len(prefix)+11 {
			return o.Name
		}
	}
	t.Fatalf("no ConfigMap %s-<hash>", prefix)
	return ""
}
