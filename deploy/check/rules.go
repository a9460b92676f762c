package check

import (
	"fmt"
	"net"
	"path"
	"slices"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// Expect is what the rules compare the manifests with.
type Expect struct {
	// Images maps each component to the image reference `make images`
	// builds (ImageRefs).
	Images map[string]string
	// Docs is docs/operations.md: every setting, Secret and Secret key the
	// manifests use must be named there in backquotes.
	Docs string
	// Flags maps each binary to the environment variables it reads (from the
	// generated tables of docs/operations.md, DocFlags).
	Flags map[string]map[string]bool
}

// NameLabel is the label that names a pod's component; NetworkPolicies and
// Services select pods by it.
const NameLabel = "app.kubernetes.io/name"

// workload is a pod template and what owns it.
type workload struct {
	obj       Object
	component Component
	tmpl      *corev1.PodTemplateSpec
	replicas  *int32
	claims    []corev1.PersistentVolumeClaim // StatefulSet volumeClaimTemplates
	env       map[string]string              // the container's resolved environment
}

type rules struct {
	e         Expect
	objs      []Object
	errs      []error
	workloads []*workload
}

func (r *rules) errorf(o Object, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s: %s", o, fmt.Sprintf(format, args...)))
}

func (r *rules) documented(s string) bool { return strings.Contains(r.e.Docs, "`"+s+"`") }

// CheckRules applies Tollgate's own rules to decoded objects and returns
// every violation.
func CheckRules(objs []Object, e Expect) []error {
	r := &rules{e: e, objs: objs}
	r.namespaces()
	for _, o := range objs {
		switch obj := o.Obj.(type) {
		case *corev1.Secret:
			r.errorf(o, "Secrets are never part of the manifests (their data would be in the repository): create it with kubectl as docs/operations.md says, and only reference it")
		case *corev1.ConfigMap:
			r.configMap(o, obj)
		case *networkingv1.Ingress:
			r.ingress(o, obj)
		case *corev1.Service:
			r.service(o, obj)
		}
		if w := r.workload(o); w != nil {
			r.workloads = append(r.workloads, w)
		}
	}
	seen := map[string]bool{}
	for _, w := range r.workloads {
		r.pod(w)
		if w.component.Name != "" {
			if seen[w.component.Name] {
				r.errorf(w.obj, "a second workload for component %s", w.component.Name)
			}
			seen[w.component.Name] = true
		}
	}
	for _, c := range Components {
		if !seen[c.Name] {
			r.errs = append(r.errs, fmt.Errorf("no workload for component %s", c.Name))
		}
	}
	r.networkPolicies()
	return r.errs
}

// namespaces: every object lives in a rendered Namespace that enforces the
// restricted Pod Security Standard.
func (r *rules) namespaces() {
	restricted := map[string]bool{}
	for _, o := range r.objs {
		if ns, ok := o.Obj.(*corev1.Namespace); ok {
			if ns.Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
				r.errorf(o, "label pod-security.kubernetes.io/enforce must be restricted")
			}
			restricted[o.Name] = true
		}
	}
	for _, o := range r.objs {
		if o.Kind == "Namespace" {
			continue
		}
		if !restricted[o.Namespace] {
			r.errorf(o, "namespace %q is not a rendered Namespace that enforces the restricted Pod Security Standard", o.Namespace)
		}
	}
}

func (r *rules) configMap(o Object, cm *corev1.ConfigMap) {
	if len(cm.BinaryData) > 0 {
		r.errorf(o, "binaryData is not allowed")
	}
	for k := range cm.Data {
		if !r.documented(k) {
			r.errorf(o, "key %s is not documented in docs/operations.md", k)
		}
	}
}

func (r *rules) ingress(o Object, ing *networkingv1.Ingress) {
	if len(ing.Spec.TLS) == 0 {
		r.errorf(o, "no tls: the Ingress must terminate TLS")
	}
	for _, t := range ing.Spec.TLS {
		if t.SecretName == "" {
			r.errorf(o, "tls without secretName")
		} else if !r.documented(t.SecretName) {
			r.errorf(o, "Secret %s is not documented in docs/operations.md", t.SecretName)
		}
	}
	for _, rule := range ing.Spec.Rules {
		if rule.HTTP == nil {
			continue
		}
		for _, p := range rule.HTTP.Paths {
			if p.Backend.Service == nil {
				r.errorf(o, "path %s has no Service backend", p.Path)
				continue
			}
			svc := r.find("Service", o.Namespace, p.Backend.Service.Name)
			if svc == nil {
				r.errorf(o, "backend Service %s is not rendered", p.Backend.Service.Name)
				continue
			}
			found := false
			for _, sp := range svc.Obj.(*corev1.Service).Spec.Ports {
				found = found || (p.Backend.Service.Port.Name != "" && sp.Name == p.Backend.Service.Port.Name) ||
					(p.Backend.Service.Port.Number != 0 && sp.Port == p.Backend.Service.Port.Number)
			}
			if !found {
				r.errorf(o, "backend port of Service %s does not exist", p.Backend.Service.Name)
			}
		}
	}
}

// service: a Service selects pods of a rendered workload and targets ports
// they declare.
func (r *rules) service(o Object, svc *corev1.Service) {
	if len(svc.Spec.Selector) == 0 {
		r.errorf(o, "no selector")
		return
	}
	var tmpl *corev1.PodTemplateSpec
	for _, x := range r.objs {
		if w := r.workload(x); w != nil && x.Namespace == o.Namespace && labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(w.tmpl.Labels)) {
			tmpl = w.tmpl
		}
	}
	if tmpl == nil {
		r.errorf(o, "selects no rendered workload")
		return
	}
	for _, p := range svc.Spec.Ports {
		if p.TargetPort.Type == intstr.String && containerPort(tmpl, p.TargetPort.StrVal) == 0 {
			r.errorf(o, "targetPort %s is not a container port of the pods it selects", p.TargetPort.StrVal)
		}
	}
}

func containerPort(tmpl *corev1.PodTemplateSpec, name string) int32 {
	for _, c := range tmpl.Spec.Containers {
		for _, p := range c.Ports {
			if p.Name == name {
				return p.ContainerPort
			}
		}
	}
	return 0
}

func (r *rules) find(kind, namespace, name string) *Object {
	for i, o := range r.objs {
		if o.Kind == kind && o.Namespace == namespace && o.Name == name {
			return &r.objs[i]
		}
	}
	return nil
}

func (r *rules) workload(o Object) *workload {
	w := &workload{obj: o}
	switch obj := o.Obj.(type) {
	case *appsv1.Deployment:
		w.tmpl, w.replicas = &obj.Spec.Template, obj.Spec.Replicas
	case *appsv1.StatefulSet:
		w.tmpl, w.replicas, w.claims = &obj.Spec.Template, obj.Spec.Replicas, obj.Spec.VolumeClaimTemplates
	case *appsv1.DaemonSet:
		w.tmpl = &obj.Spec.Template
	case *batchv1.Job:
		w.tmpl = &obj.Spec.Template
	case *batchv1.CronJob:
		w.tmpl = &obj.Spec.JobTemplate.Spec.Template
	case *corev1.Pod:
		w.tmpl = &corev1.PodTemplateSpec{ObjectMeta: obj.ObjectMeta, Spec: obj.Spec}
	default:
		return nil
	}
	w.component, _ = ComponentByName(w.tmpl.Labels[NameLabel])
	return w
}

// podSecurity evaluates pods like the PodSecurity admission plugin.
var podSecurity = func() policy.Evaluator {
	e, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		panic(err)
	}
	return e
}()

func (w *workload) selector() *metav1.LabelSelector {
	switch obj := w.obj.Obj.(type) {
	case *appsv1.Deployment:
		return obj.Spec.Selector
	case *appsv1.StatefulSet:
		return obj.Spec.Selector
	case *appsv1.DaemonSet:
		return obj.Spec.Selector
	}
	return nil
}

// containerEnv resolves a container's environment: envFrom ConfigMaps and
// env values ("" for values from Secrets or the downward API).
func (r *rules) containerEnv(w *workload, c corev1.Container) map[string]string {
	env := map[string]string{}
	for _, from := range c.EnvFrom {
		switch {
		case from.ConfigMapRef != nil:
			cm := r.find("ConfigMap", w.obj.Namespace, from.ConfigMapRef.Name)
			if cm == nil {
				if from.ConfigMapRef.Optional == nil || !*from.ConfigMapRef.Optional {
					r.errorf(w.obj, "container %s: envFrom ConfigMap %s is not rendered", c.Name, from.ConfigMapRef.Name)
				}
				continue
			}
			for k, v := range cm.Obj.(*corev1.ConfigMap).Data {
				env[from.Prefix+k] = v
			}
		case from.SecretRef != nil:
			r.errorf(w.obj, "container %s: envFrom Secret %s: mount Secrets as files (with items, so that each key is explicit)", c.Name, from.SecretRef.Name)
		}
	}
	for _, ev := range c.Env {
		env[ev.Name] = ev.Value
		if ev.ValueFrom == nil {
			continue
		}
		if ref := ev.ValueFrom.SecretKeyRef; ref != nil {
			r.secretKey(w, ref.Name, ref.Key)
		}
		if ref := ev.ValueFrom.ConfigMapKeyRef; ref != nil {
			cm := r.find("ConfigMap", w.obj.Namespace, ref.Name)
			if cm == nil {
				r.errorf(w.obj, "container %s: env %s: ConfigMap %s is not rendered", c.Name, ev.Name, ref.Name)
			} else {
				env[ev.Name] = cm.Obj.(*corev1.ConfigMap).Data[ref.Key]
			}
		}
	}
	return env
}

func (r *rules) secretKey(w *workload, secret, key string) {
	if !r.documented(secret) {
		r.errorf(w.obj, "Secret %s is not documented in docs/operations.md", secret)
	}
	if !r.documented(key) {
		r.errorf(w.obj, "key %s of Secret %s is not documented in docs/operations.md", key, secret)
	}
}

var allowedVolumes = "configMap, secret, emptyDir, persistentVolumeClaim (or a volumeClaimTemplate), projected, downwardAPI, csi, ephemeral"

// pod applies the restricted Pod Security Standard and our own rules to a
// pod template and its containers.
func (r *rules) pod(w *workload) {
	o, spec := w.obj, &w.tmpl.Spec
	if w.component.Name == "" {
		r.errorf(o, "pod label %s=%q names no Tollgate component", NameLabel, w.tmpl.Labels[NameLabel])
	}
	// The admission controller's own evaluation, as the API server runs it
	// for a namespace labelled enforce: restricted, at the newest version.
	results := podSecurity.EvaluatePod(psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}, &w.tmpl.ObjectMeta, spec)
	if agg := policy.AggregateCheckResults(results); !agg.Allowed {
		r.errorf(o, "violates the restricted Pod Security Standard (pod-security-admission): %s: %s", agg.ForbiddenReason(), agg.ForbiddenDetail())
	}
	if sel := w.selector(); sel != nil && !selects(sel, w.tmpl.Labels) {
		r.errorf(o, "selector does not match the pod template's labels")
	}
	if spec.HostNetwork || spec.HostPID || spec.HostIPC || spec.HostUsers != nil && *spec.HostUsers {
		r.errorf(o, "host namespaces (hostNetwork, hostPID, hostIPC, hostUsers) are not allowed")
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		r.errorf(o, "automountServiceAccountToken must be false")
	}
	if spec.ServiceAccountName == "" || spec.ServiceAccountName == "default" {
		r.errorf(o, "needs its own ServiceAccount")
	} else if sa := r.find("ServiceAccount", o.Namespace, spec.ServiceAccountName); sa == nil {
		r.errorf(o, "ServiceAccount %s is not rendered", spec.ServiceAccountName)
	} else if a := sa.Obj.(*corev1.ServiceAccount).AutomountServiceAccountToken; a == nil || *a {
		r.errorf(*sa, "automountServiceAccountToken must be false")
	}
	psc := spec.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	if len(psc.Sysctls) > 0 {
		r.errorf(o, "sysctls are not allowed")
	}
	claims := map[string]bool{}
	for _, c := range w.claims {
		claims[c.Name] = true
	}
	secretItems := map[string][]string{} // volume → file paths
	for _, v := range spec.Volumes {
		switch {
		case v.Secret != nil:
			if len(v.Secret.Items) == 0 {
				r.errorf(o, "volume %s: list the Secret's keys as items, so that each is explicit and documented", v.Name)
			}
			for _, it := range v.Secret.Items {
				r.secretKey(w, v.Secret.SecretName, it.Key)
				secretItems[v.Name] = append(secretItems[v.Name], it.Path)
			}
		case v.PersistentVolumeClaim != nil:
			claims[v.Name] = true
		case v.ConfigMap != nil:
			if r.find("ConfigMap", o.Namespace, v.ConfigMap.Name) == nil && (v.ConfigMap.Optional == nil || !*v.ConfigMap.Optional) {
				r.errorf(o, "volume %s: ConfigMap %s is not rendered", v.Name, v.ConfigMap.Name)
			}
		case v.EmptyDir != nil, v.Projected != nil, v.DownwardAPI != nil, v.CSI != nil, v.Ephemeral != nil:
		default:
			r.errorf(o, "volume %s: only %s volumes are allowed", v.Name, allowedVolumes)
		}
	}
	if len(claims) > 0 && (psc.FSGroup == nil || *psc.FSGroup != GID) {
		r.errorf(o, "securityContext.fsGroup must be %d so that the volume is writable", GID)
	}

	all := slices.Concat(spec.InitContainers, spec.Containers)
	for _, ec := range spec.EphemeralContainers {
		all = append(all, corev1.Container(ec.EphemeralContainerCommon))
	}
	for _, c := range all {
		r.container(w, psc, c)
	}
	if len(spec.Containers) != 1 {
		r.errorf(o, "want exactly one container, got %d", len(spec.Containers))
		return
	}
	c := spec.Containers[0]
	env := r.containerEnv(w, c)
	w.env = env
	r.settings(w, c, env, secretItems, claims)
	r.probes(w, c, env)
	r.replicas(w, c, env, claims)
}

func (r *rules) container(w *workload, psc *corev1.PodSecurityContext, c corev1.Container) {
	o := w.obj
	bad := func(format string, args ...any) {
		r.errorf(o, "container %s: %s", c.Name, fmt.Sprintf(format, args...))
	}
	sc := c.SecurityContext
	if sc == nil {
		sc = &corev1.SecurityContext{}
	}
	if sc.Privileged != nil && *sc.Privileged {
		bad("privileged is not allowed")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		bad("allowPrivilegeEscalation must be false")
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		bad("capabilities must drop ALL")
	} else if len(sc.Capabilities.Add) > 0 {
		bad("capabilities.add %v: no capability is needed", sc.Capabilities.Add)
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		bad("readOnlyRootFilesystem must be true")
	}
	if sc.ProcMount != nil && *sc.ProcMount != corev1.DefaultProcMount {
		bad("procMount must be Default")
	}
	if sc.SELinuxOptions != nil && (sc.SELinuxOptions.User != "" || sc.SELinuxOptions.Role != "") {
		bad("custom SELinux user or role is not allowed")
	}
	nonRoot := sc.RunAsNonRoot
	if nonRoot == nil {
		nonRoot = psc.RunAsNonRoot
	}
	if nonRoot == nil || !*nonRoot {
		bad("runAsNonRoot must be true (in the pod or the container)")
	}
	user := sc.RunAsUser
	if user == nil {
		user = psc.RunAsUser
	}
	if user == nil || *user != UID {
		bad("runAsUser must be %d, the images' user", UID)
	}
	seccomp := sc.SeccompProfile
	if seccomp == nil {
		seccomp = psc.SeccompProfile
	}
	if seccomp == nil || (seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault && seccomp.Type != corev1.SeccompProfileTypeLocalhost) {
		bad("seccompProfile must be RuntimeDefault (or Localhost)")
	}
	for _, p := range c.Ports {
		if p.HostPort != 0 {
			bad("hostPort is not allowed")
		}
	}
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, hasReq := c.Resources.Requests[res]
		limit, hasLimit := c.Resources.Limits[res]
		switch {
		case !hasReq:
			bad("no %s request", res)
		case !hasLimit:
			bad("no %s limit", res)
		case req.Cmp(limit) > 0:
			bad("%s request %s is above the limit %s", res, req.String(), limit.String())
		}
	}
	// Images: exactly what `make images` builds.
	want := r.e.Images[w.component.Name]
	switch {
	case strings.HasSuffix(c.Image, ":latest") || !hasTag(c.Image):
		bad("image %q: pin a version, never latest or no tag", c.Image)
	case want != "" && c.Image != want:
		bad("image %q, but make images builds %q (the version is pinned in deploy/kubernetes/base/kustomization.yaml)", c.Image, want)
	}
	if c.ImagePullPolicy == corev1.PullAlways {
		bad("imagePullPolicy Always: a pinned tag needs IfNotPresent")
	}
}

func hasTag(image string) bool {
	i := strings.LastIndex(image, ":")
	return i > 0 && !strings.Contains(image[i:], "/")
}

// settings: every TOLLGATE_* variable is a flag of the binary, and every
// file it names is mounted (a Secret item, or the data volume).
func (r *rules) settings(w *workload, c corev1.Container, env map[string]string, secretItems map[string][]string, claims map[string]bool) {
	if w.component.Name == "" {
		return
	}
	flags := r.e.Flags[w.component.Binary]
	if flags == nil {
		r.errorf(w.obj, "docs/operations.md has no settings table for %s", w.component.Binary)
	}
	for name, value := range env {
		if !strings.HasPrefix(name, "TOLLGATE_") {
			continue
		}
		if flags != nil && !flags[name] {
			r.errorf(w.obj, "container %s: %s is not a setting of %s (see its table in docs/operations.md)", c.Name, name, w.component.Binary)
		}
		if !strings.HasPrefix(value, "/") {
			continue
		}
		for _, p := range strings.Split(value, ",") {
			if !r.mounted(c, p, secretItems, claims, name == "TOLLGATE_DATA_DIR") {
				r.errorf(w.obj, "container %s: %s=%s is not a mounted file or volume", c.Name, name, p)
			}
		}
	}
}

func (r *rules) mounted(c corev1.Container, p string, secretItems map[string][]string, claims map[string]bool, dir bool) bool {
	p = path.Clean(p)
	for _, m := range c.VolumeMounts {
		mp := path.Clean(m.MountPath)
		if dir {
			if p == mp && claims[m.Name] && !m.ReadOnly {
				return true
			}
			continue
		}
		rel, ok := strings.CutPrefix(p, mp+"/")
		if !ok {
			continue
		}
		if items, isSecret := secretItems[m.Name]; isSecret {
			return slices.Contains(items, rel)
		}
		return true
	}
	return false
}

func listenPort(addr string) int {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(port)
	return n
}

// probes: gRPC health on the services' port; /healthz and /readyz on the
// gateway's.
func (r *rules) probes(w *workload, c corev1.Container, env map[string]string) {
	bad := func(format string, args ...any) {
		r.errorf(w.obj, "container %s: %s", c.Name, fmt.Sprintf(format, args...))
	}
	if c.LivenessProbe == nil {
		bad("no livenessProbe")
	}
	if c.ReadinessProbe == nil {
		bad("no readinessProbe")
	}
	if w.component.Name == "" {
		return
	}
	if w.component.Service {
		port := listenPort(env["TOLLGATE_GRPC_ADDR"])
		if port != w.component.Port || containerPort(w.tmpl, "grpc") != int32(port) {
			bad("TOLLGATE_GRPC_ADDR %q, container port grpc %d: want both %d", env["TOLLGATE_GRPC_ADDR"], containerPort(w.tmpl, "grpc"), w.component.Port)
		}
		for name, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe, "startup": c.StartupProbe} {
			if p != nil && (p.GRPC == nil || p.GRPC.Port != int32(port)) {
				bad("%sProbe must be a grpc probe (grpc.health.v1) on port %d", name, port)
			}
		}
		return
	}
	port := listenPort(env["TOLLGATE_HTTP_ADDR"])
	if port != w.component.Port || containerPort(w.tmpl, "http") != int32(port) {
		bad("TOLLGATE_HTTP_ADDR %q, container port http %d: want both %d", env["TOLLGATE_HTTP_ADDR"], containerPort(w.tmpl, "http"), w.component.Port)
	}
	for name, want := range map[string]struct {
		p    *corev1.Probe
		path string
	}{"liveness": {c.LivenessProbe, "/healthz"}, "readiness": {c.ReadinessProbe, "/readyz"}} {
		p := want.p
		if p == nil {
			continue
		}
		if p.HTTPGet == nil || p.HTTPGet.Path != want.path ||
			!(p.HTTPGet.Port.IntValue() == port || p.HTTPGet.Port.StrVal == "http") {
			bad("%sProbe must be httpGet %s on the http port", name, want.path)
		}
	}
}

// replicas: bbolt services are single-replica StatefulSets with their data
// on a volume; the gateway is a Deployment with an HPA and a PDB.
func (r *rules) replicas(w *workload, c corev1.Container, env map[string]string, claims map[string]bool) {
	if w.component.Name == "" {
		return
	}
	o := w.obj
	sts, isSTS := o.Obj.(*appsv1.StatefulSet)
	if w.component.Service {
		if !isSTS {
			r.errorf(o, "%s keeps a bbolt file: it must be a StatefulSet", w.component.Name)
			return
		}
		if w.replicas == nil || *w.replicas != 1 {
			r.errorf(o, "replicas must be exactly 1: bbolt takes an exclusive lock on the database file")
		}
		if len(w.claims) == 0 {
			r.errorf(o, "no volumeClaimTemplates: the database needs a persistent volume")
		}
		if env["TOLLGATE_DATA_DIR"] != DataDir || !r.mounted(c, DataDir, nil, claims, true) {
			r.errorf(o, "TOLLGATE_DATA_DIR must be %s with a persistent volume mounted there read-write", DataDir)
		}
		svc := r.find("Service", o.Namespace, sts.Spec.ServiceName)
		if svc == nil || svc.Obj.(*corev1.Service).Spec.ClusterIP != corev1.ClusterIPNone {
			r.errorf(o, "serviceName %q must be a rendered headless Service", sts.Spec.ServiceName)
		}
		return
	}
	if _, ok := o.Obj.(*appsv1.Deployment); !ok {
		r.errorf(o, "the gateway must be a Deployment")
		return
	}
	if w.replicas != nil && *w.replicas < 1 {
		r.errorf(o, "replicas must be at least 1")
	}
	var hpa *autoscalingv2.HorizontalPodAutoscaler
	var pdb *policyv1.PodDisruptionBudget
	for _, x := range r.objs {
		if x.Namespace != o.Namespace {
			continue
		}
		switch obj := x.Obj.(type) {
		case *autoscalingv2.HorizontalPodAutoscaler:
			if obj.Spec.ScaleTargetRef.Kind == "Deployment" && obj.Spec.ScaleTargetRef.Name == o.Name {
				hpa = obj
			}
		case *policyv1.PodDisruptionBudget:
			sel, err := metav1.LabelSelectorAsSelector(obj.Spec.Selector)
			if err == nil && obj.Spec.Selector != nil && sel.Matches(labels.Set(w.tmpl.Labels)) {
				pdb = obj
			}
		}
	}
	switch {
	case hpa == nil:
		r.errorf(o, "no HorizontalPodAutoscaler scales it")
	case hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas < 1 || hpa.Spec.MaxReplicas < *hpa.Spec.MinReplicas:
		r.errorf(o, "its HorizontalPodAutoscaler needs 1 <= minReplicas <= maxReplicas")
	}
	if pdb == nil {
		r.errorf(o, "no PodDisruptionBudget selects its pods")
	}
}

// networkPolicies: deny everything by default, DNS for every pod, and
// exactly the call graph: each component reaches the peers it is
// configured to call (TOLLGATE_<PEER>_ADDR), and a service's gRPC port
// admits only those callers.
func (r *rules) networkPolicies() {
	var policies []*networkingv1.NetworkPolicy
	defaultDeny := map[string]bool{}
	for _, o := range r.objs {
		np, ok := o.Obj.(*networkingv1.NetworkPolicy)
		if !ok {
			continue
		}
		policies = append(policies, np)
		if len(np.Spec.PodSelector.MatchLabels) == 0 && len(np.Spec.PodSelector.MatchExpressions) == 0 &&
			slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) && slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) &&
			len(np.Spec.Ingress) == 0 && len(np.Spec.Egress) == 0 {
			defaultDeny[o.Namespace] = true
		}
	}
	namespaces := map[string]bool{}
	for _, w := range r.workloads {
		namespaces[w.obj.Namespace] = true
	}
	for ns := range namespaces {
		if !defaultDeny[ns] {
			r.errs = append(r.errs, fmt.Errorf("namespace %s: no default-deny NetworkPolicy (empty podSelector, policyTypes Ingress and Egress, no rules)", ns))
		}
	}
	callers := map[string][]*workload{} // component → workloads configured to call it
	for _, w := range r.workloads {
		if w.env == nil || w.component.Name == "" {
			continue
		}
		if !allowsDNS(policies, w.tmpl.Labels) {
			r.errorf(w.obj, "no NetworkPolicy lets its pods reach kube-dns on UDP 53")
		}
		for _, peer := range Components {
			if w.env["TOLLGATE_"+strings.ToUpper(peer.Name)+"_ADDR"] == "" || peer.Name == w.component.Name {
				continue
			}
			callers[peer.Name] = append(callers[peer.Name], w)
			pw := r.componentWorkload(peer.Name)
			if pw == nil {
				continue
			}
			if !allowed(policies, networkingv1.PolicyTypeEgress, w.tmpl.Labels, pw.tmpl.Labels, peer.Port) {
				r.errorf(w.obj, "calls %s, but no NetworkPolicy allows egress to it on %d", peer.Name, peer.Port)
			}
			if !allowed(policies, networkingv1.PolicyTypeIngress, pw.tmpl.Labels, w.tmpl.Labels, peer.Port) {
				r.errorf(pw.obj, "%s calls it, but no NetworkPolicy allows that ingress on %d", w.component.Name, peer.Port)
			}
		}
	}
	for _, w := range r.workloads {
		if !w.component.Service {
			if w.component.Name != "" && !admitsAnyClient(policies, w.tmpl.Labels, w.component.Port) {
				r.errorf(w.obj, "no NetworkPolicy lets clients reach port %d", w.component.Port)
			}
			continue
		}
		for _, np := range policies {
			if !selects(&np.Spec.PodSelector, w.tmpl.Labels) || !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
				continue
			}
			for _, rule := range np.Spec.Ingress {
				if !portsInclude(rule.Ports, w.component.Port) {
					continue
				}
				if len(rule.From) == 0 {
					r.errorf(w.obj, "NetworkPolicy %s opens port %d to everyone; only its callers may reach it", np.Name, w.component.Port)
				}
				for _, peer := range rule.From {
					if peer.PodSelector == nil || peer.NamespaceSelector != nil || peer.IPBlock != nil {
						r.errorf(w.obj, "NetworkPolicy %s opens port %d beyond the pods of this namespace", np.Name, w.component.Port)
						continue
					}
					for _, other := range r.workloads {
						if other != w && !slices.Contains(callers[w.component.Name], other) && selects(peer.PodSelector, other.tmpl.Labels) {
							r.errorf(w.obj, "NetworkPolicy %s lets %s reach port %d, but %s does not call %s", np.Name, other.obj.Name, w.component.Port, other.obj.Name, w.component.Name)
						}
					}
				}
			}
		}
	}
}

func (r *rules) componentWorkload(name string) *workload {
	for _, w := range r.workloads {
		if w.component.Name == name {
			return w
		}
	}
	return nil
}

func selects(sel *metav1.LabelSelector, podLabels map[string]string) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && s.Matches(labels.Set(podLabels))
}

func portsInclude(ports []networkingv1.NetworkPolicyPort, port int) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		if p.Protocol != nil && *p.Protocol != corev1.ProtocolTCP {
			continue
		}
		if p.Port == nil || p.Port.IntValue() == port || (p.EndPort != nil && p.Port.IntValue() <= port && port <= int(*p.EndPort)) {
			return true
		}
	}
	return false
}

// allowed reports whether policies allow traffic between pods of one
// namespace: egress from pod to remote, or ingress into pod from remote,
// on a TCP port. Only same-namespace pod selectors count as reaching a pod.
func allowed(policies []*networkingv1.NetworkPolicy, dir networkingv1.PolicyType, pod, remote map[string]string, port int) bool {
	isolated := false
	for _, np := range policies {
		if !selects(&np.Spec.PodSelector, pod) || !slices.Contains(np.Spec.PolicyTypes, dir) {
			continue
		}
		isolated = true
		type rule struct {
			peers []networkingv1.NetworkPolicyPeer
			ports []networkingv1.NetworkPolicyPort
		}
		var rules []rule
		for _, x := range np.Spec.Ingress {
			if dir == networkingv1.PolicyTypeIngress {
				rules = append(rules, rule{x.From, x.Ports})
			}
		}
		for _, x := range np.Spec.Egress {
			if dir == networkingv1.PolicyTypeEgress {
				rules = append(rules, rule{x.To, x.Ports})
			}
		}
		for _, ru := range rules {
			if !portsInclude(ru.ports, port) {
				continue
			}
			if len(ru.peers) == 0 {
				return true
			}
			for _, p := range ru.peers {
				if p.PodSelector != nil && p.NamespaceSelector == nil && p.IPBlock == nil && selects(p.PodSelector, remote) {
					return true
				}
			}
		}
	}
	return !isolated
}

func admitsAnyClient(policies []*networkingv1.NetworkPolicy, pod map[string]string, port int) bool {
	for _, np := range policies {
		if !selects(&np.Spec.PodSelector, pod) || !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
			continue
		}
		for _, rule := range np.Spec.Ingress {
			if portsInclude(rule.Ports, port) {
				return true
			}
		}
	}
	return false
}

func allowsDNS(policies []*networkingv1.NetworkPolicy, pod map[string]string) bool {
	for _, np := range policies {
		if !selects(&np.Spec.PodSelector, pod) || !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
			continue
		}
		for _, rule := range np.Spec.Egress {
			for _, p := range rule.Ports {
				if p.Protocol != nil && *p.Protocol == corev1.ProtocolUDP && p.Port != nil && p.Port.IntValue() == 53 {
					return true
				}
			}
		}
	}
	return false
}
