#!/usr/bin/python3
"""Confocal against multimode (near-confocal) cavity couplings for N = 16
ensembles: correlation of the off-diagonal couplings with the ideal
confocal kernel and the fraction of frustrated triangles, for a 1 cm cavity
at 780 nm with mirror radius R = L + dR (docs/cavity.md, "Multimode
geometry").  Calls po_cavity_couplings_multimode and
po_cavity_couplings_closed in build/libphysopt.so through ctypes.

    /usr/bin/python3 scripts/cavity-multimode-compare.py [build/libphysopt.so]
"""
import sys
import ctypes as C, numpy as np
lib = C.CDLL(sys.argv[1] if len(sys.argv) > 1 else 'build/libphysopt.so')
class Geom(C.Structure):
    _fields_=[('n',C.c_int),('w0',C.c_double),('sigma',C.c_double),('x',C.POINTER(C.c_double)),('y',C.POINTER(C.c_double))]
class MM(C.Structure):
    _fields_=[('length',C.c_double),('mirror_radius',C.c_double),('wavelength',C.c_double),('delta0',C.c_double),('kappa',C.c_double),('c_light',C.c_double),('n_max',C.c_int)]
P=lambda a: a.ctypes.data_as(C.POINTER(C.c_double))
n=16; rng=np.random.default_rng(1)
r=1.5*np.sqrt(rng.random(n)); ph=2*np.pi*rng.random(n)
L=1e4
def frus(K):
    f=0;t=0
    for i in range(n):
        for j in range(i+1,n):
            for k in range(j+1,n):
                t+=1; f+= K[i,j]*K[j,k]*K[k,i]<0
    return f/t
print("R-L(um)  z-spread(um)  n_max  corr(offdiag, confocal)  frustration")
for dR in (0,-2,-5,-20,2,5):
  for zs in (0,500):
    mm=MM(L,L+dR,0.78,-2*np.pi*10,2*np.pi*0.1,2.99792458e8,400)
    w0=C.c_double(); zr=C.c_double()
    lib.po_cavity_multimode_waist(C.byref(mm),C.byref(w0),C.byref(zr))
    x=np.ascontiguousarray(r*np.cos(ph)*w0.value); y=np.ascontiguousarray(r*np.sin(ph)*w0.value)
    z=np.ascontiguousarray(zs*rng.uniform(-1,1,n)) if zs else np.zeros(n)
    g=Geom(n,w0.value,0.1*w0.value,P(x),P(y))
    J=np.zeros(n*n); Jc=np.zeros(n*n)
    assert lib.po_cavity_couplings_multimode(C.byref(g),P(z),C.byref(mm),P(J))==0
    assert lib.po_cavity_couplings_closed(C.byref(g),P(Jc))==0
    J=J.reshape(n,n); Jc=Jc.reshape(n,n); m=~np.eye(n,dtype=bool)
    print("%7g  %12g  %5d  %22.3f  %.3f (confocal %.3f)"%(dR,zs,400,np.corrcoef(J[m],Jc[m])[0,1],frus(J),frus(Jc)))
